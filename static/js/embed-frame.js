// Runs inside the embed page (/s/<id>/embed/), which a host site frames.
// 1. Tells the host page its height, so that static/js/embed.js can size the
//    iframe (a message carries only a number; any host may read it).
// 2. Keeps the participant token the first answer hands out and sends it back
//    with each form: inside a third-party frame the browser may withhold this
//    site's cookies, and the embed's forms use none.
(function () {
  "use strict";
  var space = document.body.getAttribute("data-space");
  var key = "polyphony-token-" + space;
  var token = "";
  try {
    token = window.localStorage.getItem(key) || "";
  } catch (e) {
    token = ""; // storage refused (privacy settings): the token lives as long as the page
  }

  function postHeight() {
    // The content's own extent: the document's scrollHeight never drops below
    // the frame's current height, so the frame could grow but never shrink.
    var main = document.querySelector("main");
    var style = window.getComputedStyle(document.body);
    var height = Math.ceil(
      (main ? main.getBoundingClientRect().bottom + window.scrollY : document.body.scrollHeight) +
        parseFloat(style.paddingBottom || "0")
    );
    if (window.parent !== window) {
      window.parent.postMessage({ type: "polyphony:height", space: space, height: height }, "*");
    }
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (token) {
      event.detail.headers["X-Participant-Token"] = token;
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var given = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Participant-Token");
    if (given) {
      token = given;
      try {
        window.localStorage.setItem(key, token);
      } catch (e) {
        // kept in memory only
      }
    }
  });
  document.body.addEventListener("htmx:afterSettle", postHeight);
  document.addEventListener("toggle", postHeight, true);
  if (window.ResizeObserver) {
    new ResizeObserver(postHeight).observe(document.body);
  }
  window.addEventListener("load", postHeight);
  postHeight();
})();
