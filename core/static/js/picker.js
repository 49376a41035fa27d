// Type-ahead pickers (workbench/pickers.py, includes/picker.html). The search field has no
// name, so the form around it never submits it: here what is typed is sent as ``q``.
// Enter in the field searches instead of submitting that form; what was typed before the
// scripts were ready is searched for as soon as they are.
// A search answers with the choices as they were when it was sent; if the person changed
// the choice meanwhile (picked an option, ticked or unticked a box), that choice is kept.
(function () {
  if (window.rampartPickers) {
    return;
  }
  window.rampartPickers = true;

  function isSearch(element) {
    return element instanceof HTMLInputElement && element.matches("[data-typeahead]");
  }

  function isChoices(element) {
    return element instanceof HTMLElement && element.matches("[data-picker-choices]");
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

  // What was typed before the page's scripts were ready (a slow page, a quick typist, or a
  // value the browser restored) fired no search: search for it once htmx has set the page up.
  if (window.htmx) {
    window.htmx.onLoad(function (root) {
      var fields = root.querySelectorAll ? root.querySelectorAll("input[data-typeahead]") : [];
      Array.prototype.forEach.call(fields, function (field) {
        if (field.value !== "") {
          window.htmx.trigger(field, "search");
        }
      });
    });
  }

  var kept = new WeakMap();

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!isChoices(target)) {
      return;
    }
    if (target instanceof HTMLSelectElement) {
      var option = target.selectedOptions[0];
      kept.set(target, option ? { value: option.value, label: option.textContent } : null);
    } else {
      var boxes = Array.prototype.slice.call(target.querySelectorAll("input[type=checkbox]"));
      kept.set(target, {
        ticked: boxes.filter(function (box) { return box.checked; }).map(function (box) {
          return box.closest(".form-check").cloneNode(true);
        }),
        unticked: boxes.filter(function (box) { return !box.checked; }).map(function (box) { return box.value; })
      });
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!isChoices(target) || !kept.has(target)) {
      return;
    }
    var before = kept.get(target);
    kept.delete(target);
    if (target instanceof HTMLSelectElement) {
      if (before === null) {
        return;
      }
      var same = Array.prototype.find.call(target.options, function (option) {
        return option.value === before.value && !option.disabled;
      });
      if (!same) {
        same = new Option(before.label, before.value);
        target.insertBefore(same, target.querySelector("optgroup, option[disabled]"));
      }
      same.selected = true;
      return;
    }
    before.unticked.forEach(function (value) {
      var box = target.querySelector("input[type=checkbox][value='" + value.replace(/[^0-9A-Za-z_-]/g, "") + "']");
      if (box) {
        box.checked = false;
      }
    });
    before.ticked.slice().reverse().forEach(function (row) {
      var value = row.querySelector("input").value.replace(/[^0-9A-Za-z_-]/g, "");
      var box = target.querySelector("input[type=checkbox][value='" + value + "']");
      if (box) {
        box.checked = true;
      } else {
        row.querySelector("input").checked = true;
        target.insertBefore(row, target.firstChild);
      }
    });
  });
})();
