// The pack screen: after each scan the input is emptied and keeps focus, ready for the next one
// (a USB scanner types the code and presses Enter).
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = document.getElementById("scan-form");
    if (!form || event.detail.elt !== form) return;
    form.reset();
    document.getElementById("scan-code").focus();
  });
})();
