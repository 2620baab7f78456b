// The site's only hand-written script: served as a file, so the
// Content-Security-Policy needs no inline script. Buttons marked
// data-print print the page (the value profile's "Print"); a button with
// data-copy="<id>" copies that field's value (a new API token's key) and says
// so in the element marked data-copy-status="<id>". What it says comes from
// that element's data-copy-done / data-copy-select attributes, translated by
// the template (the script itself holds no user-facing text).
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
  const say = function (key) {
    if (status) status.textContent = status.getAttribute(key) || "";
  };
  const fallback = function () {
    // Without the Clipboard API (plain http, older browsers): select and copy.
    field.focus();
    field.select();
    const done = document.execCommand && document.execCommand("copy");
    say(done ? "data-copy-done" : "data-copy-select");
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () {
      say("data-copy-done");
    }, fallback);
  } else {
    fallback();
  }
}
