// The widget's entry point: every <feedback-widget site=... article=...> and every
// <div data-feedback-site=...> on the page, now and added later, becomes a rating widget once
// it comes near the viewport. Nothing here may throw into the host page.
import { api } from "./api.js";
import { locale, pickLanguage } from "./i18n.js";
import { queuedVotes, readerToken } from "./storage.js";
import { Widget } from "./widget.js";

const BASE = new URL(document.currentScript?.src || location.href).origin;
const started = new WeakSet();
const waiting = {}; // site -> widgets whose summaries are fetched together
const shown = {}; // site -> widgets with numbers, which queued votes are sent through
let delay = 1000;

function start(host) {
  const value = (name) => host.getAttribute(name) ?? host.getAttribute("data-feedback-" + name);
  const site = value("site");
  if (!site || started.has(host)) return;
  started.add(host);
  try {
    const url = value("url") || document.querySelector("link[rel=canonical]")?.href || location.origin + location.pathname;
    // What the server would refuse is not sent: a title with control characters or over 300
    // characters, an address off this page's origin (which the site allows, or CORS would not).
    const lang = pickLanguage(value("lang"), document.documentElement.lang);
    const widget = new Widget(
      host,
      {
        site,
        article: value("article") || url,
        comments: value("comments"),
        title: (value("title") || document.title).replace(/[\0-\x1f\x7f-\x9f]/g, " ").trim().slice(0, 300),
        url: new URL(url, location.href).origin === location.origin ? url : "",
        retry,
      },
      locale(lang),
      api(BASE, site),
    );
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          const queue = (waiting[site] ||= []);
          if (queue.push(widget) === 1) setTimeout(() => load(site), 0);
        }
      },
      { rootMargin: "300px" },
    );
    observer.observe(host);
  } catch (error) {
    console.warn("feedback:", error);
  }
}

// Widgets that come into view together cost one request per site (an id with a comma cannot
// be listed, and a lone widget asks for the reader's own vote too).
async function load(site) {
  const widgets = waiting[site];
  delete waiting[site];
  const client = widgets[0].client_;
  const alone = widgets.length < 2 ? widgets : widgets.filter((w) => w.options_.article.includes(","));
  const listed = widgets.filter((w) => !alone.includes(w));
  const lists = [];
  for (let i = 0; i < listed.length; i += 100) lists.push(listed.slice(i, i + 100));
  try {
    await Promise.all([
      ...alone.map(async (w) => w.show_(await client.summary(w.options_.article, readerToken(site)))),
      ...lists.map(async (group) => {
        const { summaries } = await client.summaries(group.map((w) => w.options_.article));
        summaries.forEach((summary, i) => group[i].show_(summary));
      }),
    ]);
  } catch {
    // Unreachable now: the widgets keep their space and show no numbers yet.
  }
  (shown[site] ||= []).push(...widgets);
  send(site);
}

// Votes kept while the server was unreachable are sent on the next visit, when the browser is
// back online, or on a retry with back-off.
async function send(site) {
  for (const [article, queued] of Object.entries(queuedVotes.all(site))) {
    const widget = shown[site].find((w) => w.options_.article === article);
    try {
      await widget?.transmit_(queued);
      delay = 1000;
    } catch (error) {
      if (error instanceof TypeError) return retry(site);
      queuedVotes.set(site, article); // refused by the server: dropped
    }
  }
}

function retry(site) {
  setTimeout(() => send(site), (delay = Math.min(60000, delay * 2)));
}

try {
  addEventListener("online", () => Object.keys(shown).forEach(send));
  customElements.get("feedback-widget") ||
    customElements.define(
      "feedback-widget",
      class extends HTMLElement {
        connectedCallback() {
          start(this);
        }
      },
    );
  const scan = (node) => {
    if (node.matches?.("[data-feedback-site]")) start(node);
    node.querySelectorAll?.("[data-feedback-site]").forEach(start);
  };
  new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach(scan))).observe(document, {
    childList: true,
    subtree: true,
  });
  scan(document);
} catch {
  // A browser without custom elements or observers: no widget, and nothing thrown.
}
