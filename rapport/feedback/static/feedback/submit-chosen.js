// One click in the email: the score chosen there is saved as soon as the page opens
// (a POST from the browser, which link scanners do not send).
(function () {
  "use strict";
  var chosen = document.getElementById("survey-chosen");
  if (chosen && chosen.form) chosen.form.submit();
})();
