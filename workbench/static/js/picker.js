// Type-ahead pickers (workbench/pickers.py, includes/picker.html). The search field has no
// name, so the form around it never submits it: here what is typed is sent as ``q``.
// Enter in the field searches instead of submitting that form.
(function () {
  if (window.rampartPickers) {
    return;
  }
  window.rampartPickers = true;
  function isSearch(element) {
    return element instanceof HTMLInputElement && element.matches("[data-typeahead]");
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var field = event.detail.elt;
    if (isSearch(field)) {
      event.detail.parameters["q"] = field.value;
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && isSearch(event.target)) {
      event.preventDefault();
      if (window.htmx) {
        window.htmx.trigger(event.target, "search");
      }
    }
  });
})();
