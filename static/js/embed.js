// Polyphony's embed script, served at /embed.js. On the host site:
//   <script src="https://polyphony.example/embed.js"
//           data-space="https://polyphony.example/s/12/embed/?xid=USER&xid_sig=HMAC" async></script>
// It inserts an iframe showing the space right after the script tag and keeps
// the iframe as tall as its content (the embed page posts its height).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var src = script.getAttribute("data-space");
  if (!src) {
    return;
  }
  var url = new URL(src, script.src);
  var frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = script.getAttribute("data-title") || "Polyphony: vote and propose";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = "480px";
  frame.setAttribute("loading", "lazy");
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== frame.contentWindow || event.origin !== url.origin) {
      return;
    }
    if (data && data.type === "polyphony:height" && typeof data.height === "number") {
      frame.style.height = Math.max(120, Math.min(data.height, 5000)) + "px";
    }
  });
})();
