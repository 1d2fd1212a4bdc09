// Bundles and minifies the front end, each into one classic script (an IIFE: works from a plain
// <script> tag, under a strict CSP):
//   src/main.js          -> feedback/static/widget.js (the widget; its size gzipped is reported
//                           and held to a budget)
//   dashboard/charts.js  -> feedback/dashboard/static/charts.js and charts.css (uPlot's)
//   node build.mjs [ROOT]     (default: the repository; tests build into a temporary one)
import { build, transform } from "esbuild";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export const BUDGET_GZIP_BYTES = 6 * 1024;

const here = fileURLToPath(new URL(".", import.meta.url));
const root = process.argv[2] ?? `${here}..`;
const outfile = `${root}/feedback/static/widget.js`;

// widget.css is imported as a string, minified.
const minifiedCss = {
  name: "minified-css",
  setup(builder) {
    builder.onLoad({ filter: /\.css$/ }, async ({ path }) => {
      const { code } = await transform(readFileSync(path, "utf8"), { loader: "css", minify: true, target: "chrome111" });
      return { contents: `export default ${JSON.stringify(code.trim())};`, loader: "js" };
    });
  },
};

await build({
  plugins: [minifiedCss],
  entryPoints: [`${here}src/main.js`],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome111", "firefox113", "safari16.4"],
  legalComments: "none",
  // Names ending in "_" are the widget's own (never a DOM, API or locale name): shortened.
  mangleProps: /_$/,
  charset: "utf8",
  logLevel: "warning",
});

const uplotVersion = JSON.parse(readFileSync(`${here}node_modules/uplot/package.json`, "utf8")).version;
// The dashboard's charts: only editors load them, so no budget; uPlot's stylesheet comes out
// beside the script.
await build({
  entryPoints: [`${here}dashboard/charts.js`],
  outfile: `${root}/feedback/dashboard/static/charts.js`,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome111", "firefox113", "safari16.4"],
  legalComments: "none",
  // uPlot's header is not marked as a legal comment: its MIT notice is carried by hand.
  banner: { js: `/* uPlot ${uplotVersion} (c) Leon Sorokin, MIT License, https://github.com/leeoniya/uPlot */` },
  charset: "utf8",
  logLevel: "warning",
});

const bytes = readFileSync(outfile);
const gzipped = gzipSync(bytes, { level: 9 }).length;
console.log(`widget: ${outfile}: ${bytes.length} bytes, ${gzipped} gzipped (budget ${BUDGET_GZIP_BYTES})`);
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`widget: over the size budget by ${gzipped - BUDGET_GZIP_BYTES} bytes gzipped`);
  process.exit(1);
}
