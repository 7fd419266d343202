/* The campaign builder's driver questions (templates/surveys/campaign_form.html).
   - "Add a question" is htmx: the server sends one more blank form and the new form count.
   - "Remove" ticks the question's hidden DELETE box and folds it away, with "Undo".
   - A question moves by dragging its handle or with "Move up" / "Move down" (the keyboard way);
     after any change each question's hidden ORDER field and its "Question N" title follow its
     place on the page, and a status line tells screen readers what happened.
   No inline script (the Content-Security-Policy refuses it): everything is wired here by data
   attributes, delegated from the list, so forms htmx adds work too. */
(function () {
  "use strict";
  const list = document.querySelector("[data-questions]");
  if (!list) return;
  const addButton = document.querySelector("[data-question-add]");
  const status = document.querySelector("[data-questions-status]");
  const max = parseInt(list.dataset.max || "10", 10);

  function questions() {
    return Array.from(list.querySelectorAll(":scope > [data-question]"));
  }

  function label(template, number) {
    return (template || "").replace("__N__", String(number));
  }

  function say(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function renumber() {
    const all = questions();
    all.forEach(function (fieldset, index) {
      const order = fieldset.querySelector("[data-question-order]");
      if (order) order.value = String(index + 1);
      const title = fieldset.querySelector("[data-question-number]");
      if (title) title.textContent = label(list.dataset.questionLabel, index + 1);
      const up = fieldset.querySelector('[data-question-move="up"]');
      const down = fieldset.querySelector('[data-question-move="down"]');
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === all.length - 1;
    });
    if (addButton) {
      const active = all.filter(function (f) { return !f.classList.contains("question-removed"); }).length;
      addButton.disabled = active >= max;
    }
  }

  function setRemoved(fieldset, removed) {
    const box = fieldset.querySelector("[data-question-delete]");
    if (box) box.checked = removed;
    fieldset.classList.toggle("question-removed", removed);
    const focus = fieldset.querySelector(removed ? "[data-question-undo]" : "[data-question-remove]");
    if (focus) focus.focus();
    renumber();
  }

  function moved(fieldset, focusSelector) {
    renumber();
    const again = focusSelector && fieldset.querySelector(focusSelector);
    if (again && !again.disabled) again.focus();
    else {
      const other = fieldset.querySelector("[data-question-move]:not([disabled])");
      if (other) other.focus();
    }
    say(label(list.dataset.movedLabel, questions().indexOf(fieldset) + 1));
  }

  list.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button || !list.contains(button)) return;
    const fieldset = button.closest("[data-question]");
    if (!fieldset) return;
    if (button.hasAttribute("data-question-remove")) setRemoved(fieldset, true);
    else if (button.hasAttribute("data-question-undo")) setRemoved(fieldset, false);
    else if (button.dataset.questionMove === "up" && fieldset.previousElementSibling) {
      list.insertBefore(fieldset, fieldset.previousElementSibling);
      moved(fieldset, '[data-question-move="up"]');
    } else if (button.dataset.questionMove === "down" && fieldset.nextElementSibling) {
      list.insertBefore(fieldset.nextElementSibling, fieldset);
      moved(fieldset, '[data-question-move="down"]');
    }
  });

  // Dragging: only from the handle, so text in the fields can still be selected with the mouse.
  let dragged = null;
  list.addEventListener("pointerdown", function (event) {
    const handle = event.target.closest("[data-question-handle]");
    const fieldset = handle && handle.closest("[data-question]");
    if (fieldset) fieldset.draggable = true;
  });
  list.addEventListener("dragstart", function (event) {
    const fieldset = event.target.closest && event.target.closest("[data-question]");
    if (!fieldset || !fieldset.draggable) return;
    dragged = fieldset;
    fieldset.classList.add("question-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "");
    // While dragging, every question folds to its title and text, so all fit on the screen.
    // (After this event: changing the layout inside dragstart would cancel the drag.)
    questions().forEach(function (f) {
      const text = f.querySelector("input[name$='-text']");
      const summary = f.querySelector("[data-question-summary]");
      if (summary) summary.textContent = text && text.value ? "· " + text.value : "";
    });
    const pointerY = event.clientY;
    window.setTimeout(function () {
      list.classList.add("questions-sorting");
      // Keep the dragged question's title under the pointer as the list shrinks.
      const top = fieldset.getBoundingClientRect().top - pointerY + 8;
      window.scrollBy({ top: top, behavior: "instant" }); // not Bootstrap's smooth scrolling
    }, 0);
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) return;
    event.preventDefault();
    const over = event.target.closest("[data-question]");
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextElementSibling : over);
  });
  list.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });
  function endDrag() {
    if (!dragged) return;
    const fieldset = dragged;
    dragged = null;
    fieldset.draggable = false;
    fieldset.classList.remove("question-dragging");
    list.classList.remove("questions-sorting");
    fieldset.scrollIntoView({ block: "nearest", behavior: "instant" });
    moved(fieldset, null);
  }
  list.addEventListener("dragend", endDrag);
  document.addEventListener("pointerup", function () {
    questions().forEach(function (f) { if (f !== dragged) f.draggable = false; });
  });

  // A question htmx added: number it, put the cursor in its text, say so.
  list.addEventListener("htmx:afterSwap", function () {
    renumber();
    const all = questions();
    const added = all[all.length - 1];
    const text = added && added.querySelector("input[type=text], textarea");
    if (text) text.focus();
    say(label(list.dataset.addedLabel, all.length));
  });

  renumber();
})();
