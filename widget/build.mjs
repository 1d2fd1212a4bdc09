// Bundles and minifies src/main.js into one classic script (an IIFE: works from a plain
// <script async> tag, under a strict CSP) and reports its size gzipped.
//   node build.mjs [OUTFILE]     (default: ../feedback/static/widget.js)
import { build, transform } from "esbuild";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export const BUDGET_GZIP_BYTES = 6 * 1024;

const here = fileURLToPath(new URL(".", import.meta.url));
const outfile = process.argv[2] ?? `${here}../feedback/static/widget.js`;

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

const bytes = readFileSync(outfile);
const gzipped = gzipSync(bytes, { level: 9 }).length;
console.log(`widget: ${outfile}: ${bytes.length} bytes, ${gzipped} gzipped (budget ${BUDGET_GZIP_BYTES})`);
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`widget: over the size budget by ${gzipped - BUDGET_GZIP_BYTES} bytes gzipped`);
  process.exit(1);
}
