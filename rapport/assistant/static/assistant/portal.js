// After asking, move the reader (and screen readers) to the newest answer.
(function () {
  "use strict";
  if (window.location.hash !== "#latest") return;
  var latest = document.querySelector("[data-latest]");
  if (latest) { latest.focus(); latest.scrollIntoView({ block: "center" }); }
})();
