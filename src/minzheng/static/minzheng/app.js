/* Small behaviours of the shared layout; no build step. */
(function () {
  "use strict";

  // Region tree: expand a row by fetching its children (htmx), collapse by removing them.
  function collapse(row) {
    var prefix = row.getAttribute("data-prefix");
    var next = row.nextElementSibling;
    while (next && next.getAttribute("data-code") && next.getAttribute("data-code").indexOf(prefix) === 0) {
      var gone = next;
      next = next.nextElementSibling;
      gone.remove();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-region-toggle]");
    if (!button) return;
    var row = button.closest("tr");
    if (button.getAttribute("aria-expanded") === "true") {
      collapse(row);
      button.setAttribute("aria-expanded", "false");
      button.textContent = "+";
      return;
    }
    button.disabled = true;
    window.htmx.ajax("GET", button.getAttribute("data-region-toggle"), { target: row, swap: "afterend" })
      .then(function () {
        button.setAttribute("aria-expanded", "true");
        button.textContent = "−";
      })
      .finally(function () { button.disabled = false; });
  });
})();
