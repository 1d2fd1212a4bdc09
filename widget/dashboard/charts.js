// The dashboard's charts (uPlot): each day's votes as bars and their average as a line, from
// the JSON the page carries (<script type="application/json">: data, never run). The page
// shows the same figures as a table for screen readers and without JavaScript.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const DAY_SECONDS = 86400;

function draw(element, data, words) {
  const helpful = data.helpful;
  // Days are calendar dates: placed at midnight UTC and read back in UTC, so that no browser
  // time zone shifts them.
  const days = data.days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
  const dayFormat = new Intl.DateTimeFormat(words.lang, { day: "numeric", month: "numeric", timeZone: "UTC" });
  const numberFormat = new Intl.NumberFormat(words.lang, { maximumFractionDigits: helpful ? 0 : 2 });
  // The colours come from the stylesheet (light or dark): `color` for the line, `caret-color`
  // for the bars, the page's text colour for the axes and `--line` for the grid, read resolved,
  // since a canvas cannot resolve light-dark() or system colours itself.
  const style = getComputedStyle(element);
  const accent = style.color;
  const bars = style.caretColor;
  const text = getComputedStyle(document.body).color;
  const grid = { stroke: style.getPropertyValue("--line").trim(), width: 1 };
  const ticks = { stroke: grid.stroke, width: 1 };
  const options = {
    width: element.clientWidth || 600,
    height: 240,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (_, min, max) => [min - DAY_SECONDS / 2, max + DAY_SECONDS / 2] },
      votes: { range: (_, __, max) => [0, Math.max(1, max * 1.1)] },
      // A little beyond the scale's ends, so that a point at either end is drawn whole.
      average: { range: helpful ? [-4, 104] : [0.85, 5.15] },
    },
    axes: [
      {
        // Ticks on whole days only.
        incrs: [1, 2, 7, 14, 28, 56, 91, 182].map((days) => days * DAY_SECONDS),
        values: (_, values) => values.map((seconds) => dayFormat.format(new Date(seconds * 1000))),
        space: 60,
        stroke: text,
        grid,
        ticks,
      },
      { scale: "votes", values: (_, values) => values.map((n) => numberFormat.format(n)), stroke: text, grid, ticks },
      {
        scale: "average",
        side: 1,
        grid: { show: false },
        ticks,
        stroke: text,
        values: (_, values) => values.map((n) => numberFormat.format(n) + (helpful ? "%" : "")),
      },
    ],
    series: [
      { label: words.day, value: (_, seconds) => (seconds == null ? "—" : dayFormat.format(new Date(seconds * 1000))) },
      {
        label: words.votes,
        scale: "votes",
        fill: bars,
        stroke: bars,
        paths: uPlot.paths.bars({ size: [0.6, 48] }),
        points: { show: false },
        value: (_, n) => (n == null ? "—" : numberFormat.format(n)),
      },
      {
        label: words.average,
        scale: "average",
        stroke: accent,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6 },
        value: (_, n) => (n == null ? "—" : numberFormat.format(n) + (helpful ? "%" : "")),
      },
    ],
  };
  const chart = new uPlot(options, [days, data.votes, data.average], element);
  new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 240 })).observe(element);
}

for (const element of document.querySelectorAll("[data-chart]")) {
  const data = JSON.parse(document.getElementById(element.dataset.chart).textContent);
  const words = JSON.parse(document.getElementById(element.dataset.chartWords).textContent);
  draw(element, data, words);
}
