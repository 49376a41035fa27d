// Rampart's own scripts; no inline scripts anywhere (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  // Forms with data-confirm ask before they submit (deactivate, revoke...).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
});
