// The site's only hand-written script: served as a file, so the
// Content-Security-Policy needs no inline script. Buttons marked
// data-print print the page (the value profile's "Print").
document.addEventListener("click", function (event) {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
