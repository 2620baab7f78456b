// The site's only hand-written script: served as a file, so the
// Content-Security-Policy needs no inline script. Buttons marked
// data-print print the page (the value profile's "Print"); a button with
// data-copy="<id>" copies that field's value (a new API token's key) and says
// so in the element marked data-copy-status="<id>". It also tells the server
// the browser's time zone (the `tz` cookie), so that times are shown in it.
document.addEventListener("click", function (event) {
  if (!(event.target instanceof Element)) return;
  if (event.target.closest("[data-print]")) {
    window.print();
    return;
  }
  const copy = event.target.closest("[data-copy]");
  if (copy) copyField(copy.getAttribute("data-copy"));
});

function copyField(id) {
  const field = document.getElementById(id);
  if (!field) return;
  const status = document.querySelector('[data-copy-status="' + id + '"]');
  // The words come translated from the page (data-copied, data-copy-manual).
  const copied = (status && status.dataset.copied) || "Copied.";
  const manual = (status && status.dataset.copyManual) || "Selected: press Ctrl+C (⌘C) to copy.";
  const say = function (text) {
    if (status) status.textContent = text;
  };
  const fallback = function () {
    // Without the Clipboard API (plain http, older browsers): select and copy.
    field.focus();
    field.select();
    const done = document.execCommand && document.execCommand("copy");
    say(done ? copied : manual);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () {
      say(copied);
    }, fallback);
  } else {
    fallback();
  }
}

// The browser's time zone, for the server to show times in (config/locale.py).
// Written only when it changed; the first page seen is in the site's zone.
(function rememberTimeZone() {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  // IANA names need no escaping in a cookie (letters, digits, / _ + -).
  if (!zone || !/^[A-Za-z0-9_+\/-]+$/.test(zone)) return;
  const current = document.cookie.split("; ").find(function (part) {
    return part.indexOf("tz=") === 0;
  });
  if (current && current.slice(3) === zone) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie =
    "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" + secure;
})();
