// "Was this article helpful?": yes (a score of 5) or no (1), as two toggle buttons.
import { h } from "./dom.js";

export function helpful(t, choose) {
  const yes = h("button", { type: "button", onclick: () => choose(5) }, t("yes"));
  const no = h("button", { type: "button", onclick: () => choose(1) }, t("no"));
  const set = (score) => {
    yes.setAttribute("aria-pressed", String(score === 5));
    no.setAttribute("aria-pressed", String(score === 1));
  };
  set(null);
  return { element_: h("div", {}, yes, no), set_: set };
}
