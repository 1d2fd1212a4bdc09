// The moderation desk's keyboard: j and k move to the next and previous comment (focusing its
// checkbox, so screen readers follow), x selects it, a, r and s approve, reject or mark as spam
// the selected comments (the current one when none is selected). Delete has no key: it cannot be
// undone. "Select all" ticks every comment of the page.
const form = document.querySelector("form[data-desk]");
if (form) {
  const boxes = [...form.querySelectorAll("input[name=comment]:not(:disabled)")];
  const all = form.querySelector("input[data-select-all]");
  const actions = { a: "approve", r: "reject", s: "spam" };
  let current = -1;

  const move = (to) => {
    if (!boxes.length) return;
    boxes[current]?.closest("tr").classList.remove("current");
    current = Math.max(0, Math.min(boxes.length - 1, to));
    const row = boxes[current].closest("tr");
    row.classList.add("current");
    boxes[current].focus();
  };

  if (all) {
    all.hidden = false;
    all.addEventListener("change", () => boxes.forEach((box) => (box.checked = all.checked)));
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.matches("input:not([type=checkbox]), textarea, select")) return;
    if (event.key === "j") move(current + 1);
    else if (event.key === "k") move(current - 1);
    else if (event.key === "x" && boxes[current]) boxes[current].checked = !boxes[current].checked;
    else if (actions[event.key]) {
      if (!boxes.some((box) => box.checked)) {
        if (!boxes[current]) return;
        boxes[current].checked = true;
      }
      form.querySelector(`button[name=action][value=${actions[event.key]}]`).click();
    } else return;
    event.preventDefault();
  });
}
