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
// data-channel-only="widget"  shown only while the form's channel select (#id_channel) has that value
// data-copy="ID"              a button: copy the field #ID's text to the clipboard (data-copied: what to say)
document.addEventListener("change", (event) => {
  if (event.target.id === "id_channel") showForChannel(event.target.value);
});
function showForChannel(channel) {
  document.querySelectorAll("[data-channel-only]").forEach((part) => {
    part.hidden = !part.dataset.channelOnly.split(" ").includes(channel);
  });
}
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  const said = () => {
    const status = document.getElementById(button.dataset.copy + "-copied");
    if (status) status.textContent = button.dataset.copied || "";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(said, () => {});
  } else {
    try {
      if (document.execCommand("copy")) said();
    } catch (e) {}
  }
});
