// Small page behaviours, wired by data attributes instead of inline handlers (the
// Content-Security-Policy allows no inline script). Delegated from the document, so content
// that htmx swaps in works too.
//   data-select-on-click        select the field's text when clicked (a link to copy)
//   data-disables="ID"          a checkbox: the element #ID is disabled while the box is ticked
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});
document.addEventListener("change", (event) => {
  const box = event.target.closest("[data-disables]");
  if (!box) return;
  const target = document.getElementById(box.dataset.disables);
  if (target) target.disabled = box.checked;
});
