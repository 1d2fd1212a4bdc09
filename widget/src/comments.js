// Comments: the approved ones, newest first, with "show more"; the reader's own pending ones
// marked; a form with a live character count and a honeypot field people never see.
import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { readerToken } from "./storage.js";

const MAX_CHARS = 2000;
const PAGE = 5;

export function comments(widget) {
  const { t, locale_: locale, client_: client, options_: options } = widget;
  const announce = (message) => widget.announce_(message);
  let next = null;
  let loaded = false;
  const list = h("ol", {});
  const more = h("button", { type: "button", class: "link", hidden: true, onclick: () => load(next) }, t("more"));

  const name = h("input", { name: "author", maxlength: 80, autocomplete: "name", class: "field" });
  const body = h("textarea", { name: "body", maxlength: MAX_CHARS, class: "field" });
  const count = h("span", { class: "m" });
  const trap = h("input", { name: "website", tabindex: -1, autocomplete: "off", "aria-hidden": "true" });
  const send = h("button", { type: "submit", class: "primary" }, t("send"));
  const form = h(
    "form",
    { onsubmit: submit },
    h("label", {}, t("name"), name),
    h("label", {}, t("comment"), body),
    h("div", { class: "trap" }, trap),
    h("div", { class: "row" }, count, send),
  );
  const counted = () => (count.textContent = t("chars", { n: body.value.trim().length, max: MAX_CHARS }));
  body.addEventListener("input", counted);
  counted();

  async function load(before) {
    const reader = readerToken(options.site);
    const params = { limit: PAGE };
    if (before) params.before = before;
    if (reader) params.reader = reader;
    try {
      const page = await client.comments(options.article, params);
      for (const comment of page.comments) list.append(item(comment));
      next = page.next;
      more.hidden = !next;
      widget.setCommentCount_(page.count);
    } catch {
      announce(t("failed"));
    }
  }

  function item(comment) {
    return h(
      "li",
      {},
      h(
        "p",
        { class: "m" },
        h("strong", {}, comment.author || t("reader")),
        " · ",
        h("time", { datetime: comment.created_at }, locale.date(comment.created_at)),
        comment.status === "pending" ? h("span", { class: "badge" }, t("pending")) : null,
      ),
      h("p", { class: "body" }, comment.body),
    );
  }

  async function submit(event) {
    event.preventDefault();
    if (!body.value.trim()) return body.focus();
    send.disabled = true;
    const text = body.value;
    try {
      const posted = await client.comment(options.article, {
        reader: readerToken(options.site, true),
        body: text,
        author: name.value.trim() || null,
        website: trap.value,
        ...widget.about_(),
      });
      body.value = "";
      counted();
      list.prepend(item({ author: name.value.trim(), body: text.trim(), status: posted.status, created_at: new Date().toISOString() }));
      announce(t(posted.status === "approved" ? "published" : "sent"));
    } catch (error) {
      announce(error instanceof ApiError && error.status === 429 ? t("rateLimited", { n: error.retryAfter || 1 }) : t("failed"));
    } finally {
      send.disabled = false;
    }
  }

  return {
    element_: h("div", {}, list, more, form),
    open_() {
      if (!loaded) {
        loaded = true;
        load(null);
      }
    },
  };
}
