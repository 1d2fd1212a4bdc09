// One widget under one article: header with the count, the stars (or yes/no), the average and
// its breakdown, a live region, and the comments behind a disclosure.
import { ApiError } from "./api.js";
import { comments } from "./comments.js";
import { h } from "./dom.js";
import { helpful } from "./helpful.js";
import { stars } from "./stars.js";
import { myVotes, queuedVotes, readerToken } from "./storage.js";
import { sheet } from "./styles.js";

export class Widget {
  constructor(host, options, locale, client) {
    Object.assign(this, { host_: host, options_: options, locale_: locale, client_: client, t: locale.t });
    this.summary_ = null;
    this.mine_ = myVotes.get(options.site, options.article) ?? null;
    const t = this.t;
    const root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [sheet()];
    this.heading_ = h("h2", {});
    this.status_ = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.averageLine_ = h("p", { class: "m" }, "\u00a0");
    this.bars_ = h("div", { class: "bars" });
    this.withdrawButton_ = h("button", { type: "button", class: "link", hidden: true, onclick: () => this.vote_(null) }, t("withdraw"));
    this.control_ = null;
    this.controlSlot_ = h("div", {});
    const details = h("details", {}, h("summary", {}, t("details")), this.bars_);
    const parts = [this.heading_, this.controlSlot_, h("div", { class: "row" }, this.averageLine_, this.withdrawButton_), details];
    if (options.comments !== "off") {
      this.commentsPart_ = comments(this);
      this.commentsToggle_ = h("summary", {}, t("comments", { n: 0 }));
      const area = h("details", {}, this.commentsToggle_, this.commentsPart_.element_);
      area.addEventListener("toggle", () => area.open && this.commentsPart_.open_());
      parts.push(area);
    }
    root.replaceChildren(h("section", { lang: locale.lang }, ...parts, this.status_));
    this.render_();
  }

  announce_(message) {
    // Emptied first, so that the same message twice is announced twice.
    this.status_.textContent = "";
    setTimeout(() => (this.status_.textContent = message), 50);
  }

  about_() {
    const { title, url } = this.options_;
    return { title: title || undefined, url: url || undefined };
  }

  show_(summary) {
    this.summary_ = summary;
    if ("mine" in summary) this.setMine_(summary.mine);
    this.render_();
  }

  setMine_(score) {
    this.mine_ = score;
    myVotes.set(this.options_.site, this.options_.article, score ?? undefined);
  }

  setCommentCount_(count) {
    if (this.summary_) this.summary_.comments = count;
    this.render_();
  }

  render_() {
    const { t, summary_: summary } = this;
    const helpfulScale = (summary?.scale ?? this.options_.scale) === "helpful";
    const count = summary?.count ?? 0;
    // The count shows once known: "(0)" before the numbers arrive would be a claim.
    this.heading_.textContent = t(helpfulScale ? "helpfulTitle" : "title") + (summary ? ` (${count})` : "");
    if (!this.control_ || this.control_.isHelpful_ !== helpfulScale) {
      this.control_ = (helpfulScale ? helpful : stars)(t, (score) => this.vote_(score));
      this.control_.isHelpful_ = helpfulScale;
      this.controlSlot_.replaceChildren(this.control_.element_);
    }
    this.control_.set_(this.mine_);
    this.withdrawButton_.hidden = this.mine_ == null;
    if (!summary) return;
    const histogram = summary.histogram;
    if (!count) this.averageLine_.textContent = t("noVotes");
    else if (helpfulScale) this.averageLine_.textContent = `${t("helpfulShare", { percent: Math.round((100 * histogram[5]) / count) })} · ${t("votes", { n: count })}`;
    else this.averageLine_.textContent = `${t("average", { average: this.locale_.decimal(summary.average) })} · ${t("votes", { n: count })}`;
    const scores = helpfulScale ? [5, 1] : [5, 4, 3, 2, 1];
    this.bars_.replaceChildren(
      ...scores.map((score) => {
        const fill = h("span", { class: "fill" });
        fill.style.width = `${count ? (100 * histogram[score]) / count : 0}%`;
        const label = helpfulScale ? t(score === 5 ? "yes" : "no") : t("star", { n: score });
        return h("div", { class: "bar" }, h("span", {}, label), h("span", { class: "track" }, fill), h("span", { class: "m" }, histogram[score]));
      }),
    );
    if (this.commentsToggle_) this.commentsToggle_.textContent = t("comments", { n: summary.comments });
  }

  // Optimistic: the count moves at once, and moves back if the server refuses.
  async vote_(score) {
    if (score === this.mine_) return;
    const before = { summary: this.summary_, mine: this.mine_ };
    this.applyLocally_(this.mine_, score);
    this.setMine_(score);
    this.render_();
    const queued = { score, ...this.about_() };
    try {
      await this.transmit_(queued);
      this.announce_(this.t(score == null ? "withdrawn" : "thanks"));
    } catch (error) {
      if (error instanceof ApiError) {
        this.summary_ = before.summary;
        this.setMine_(before.mine);
        this.render_();
        this.announce_(error.status === 429 ? this.t("rateLimited", { n: error.retryAfter || 1 }) : this.t("failed"));
      } else {
        queuedVotes.set(this.options_.site, this.options_.article, queued);
        this.announce_(this.t("queued"));
        this.options_.retry(this.options_.site);
      }
    }
  }

  // Sends a vote, or a withdrawal.
  async transmit_(queued) {
    const { site, article } = this.options_;
    const reader = readerToken(site, true);
    const summary = await (queued.score == null
      ? this.client_.withdraw(article, reader)
      : this.client_.vote(article, { ...queued, reader }));
    queuedVotes.set(site, article);
    this.show_(summary);
  }

  applyLocally_(previous, score) {
    const summary = this.summary_;
    if (!summary) return;
    const histogram = { ...summary.histogram };
    if (previous != null) histogram[previous] -= 1;
    if (score != null) histogram[score] += 1;
    let count = 0;
    let total = 0;
    for (const s in histogram) (count += histogram[s]), (total += s * histogram[s]);
    this.summary_ = { ...summary, histogram, count, average: count ? total / count : null };
  }
}
