// The control form's requirement picker: Enter in its search field searches instead of
// submitting the whole form (the search itself is htmx: hx-get on the field).
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key === "Enter" && field instanceof HTMLElement && field.matches("[data-picker-search]")) {
    event.preventDefault();
    if (window.htmx) {
      window.htmx.trigger(field, "search");
    }
  }
});
