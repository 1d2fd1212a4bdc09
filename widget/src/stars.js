// Five stars as a WAI-ARIA radio group: one tab stop, arrow keys move the focus (and the
// preview), Enter or Space votes, and so does a click or tap; hovering previews (widget.css).
import { h } from "./dom.js";

export function stars(t, choose) {
  let mine = null;
  let preview = null;
  const buttons = [1, 2, 3, 4, 5].map((score) =>
    h(
      "span",
      {
        role: "radio",
        class: "star",
        "aria-label": t("star", { n: score }),
        onclick: () => choose(score),
        onkeydown: (event) => key(event, score),
        onfocus: () => show(score),
        onblur: () => show(null),
      },
      "★",
    ),
  );
  const group = h("div", { role: "radiogroup", "aria-label": t("starsLabel") }, ...buttons);

  function key(event, score) {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (step) {
      event.preventDefault();
      buttons[Math.min(5, Math.max(1, score + step)) - 1].focus();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      choose(score);
    }
  }

  function show(score) {
    preview = score;
    paint();
  }

  function paint() {
    const lit = preview ?? mine ?? 0;
    const focusable = mine ?? 1;
    buttons.forEach((button, index) => {
      const score = index + 1;
      button.classList.toggle("lit", score <= lit);
      button.setAttribute("aria-checked", String(score === mine));
      button.tabIndex = score === focusable ? 0 : -1;
    });
  }

  paint();
  return {
    element_: group,
    set_(score) {
      mine = score;
      paint();
    },
  };
}
