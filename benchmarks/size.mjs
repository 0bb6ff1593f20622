// Size of the widget as a visitor downloads it: raw (bundled, unminified), min (the committed
// build), gzip -9 and brotli 11 of consent.js and consent.css; then the texts per language,
// which come from the server's config and are not part of the budget; then what a first visit
// loads per language (the script with that language's texts bundled in, and the stylesheet).
//
//   node benchmarks/size.mjs                                  texts from benchmarks/size.texts.json
//   node benchmarks/size.mjs --config http://127.0.0.1:5000/consent   texts from a running server
//   node benchmarks/size.mjs --json                           machine-readable
//
// Needs widget/node_modules (cd widget && npm ci) for the unminified bundle.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const widget = resolve(root, "widget");
const { values } = parseArgs({
  options: { config: { type: "string" }, json: { type: "boolean" } },
});
const BUDGET = 6 * 1024;

const gzip = (buf) => gzipSync(buf, { level: 9 }).length;
const brotli = (buf) =>
  brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
    .length;

/** The same bundle as the build, not minified: what the modules weigh before minifying. */
async function unminified(entry, format) {
  const esbuild = createRequire(resolve(widget, "package.json"))("esbuild");
  const out = await esbuild.build({
    absWorkingDir: widget,
    entryPoints: [entry],
    bundle: true,
    write: false,
    format,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
  });
  return Buffer.from(out.outputFiles[0].contents);
}

const row = (name, raw, min) => ({
  name,
  raw: raw.length,
  min: min.length,
  gzip: gzip(min),
  brotli: brotli(min),
});

const js = readFileSync(resolve(root, "consent_sdk/static/consent.js"));
const css = readFileSync(resolve(root, "consent_sdk/static/consent.css"));
const files = [
  row("consent.js", await unminified("src/index.js", "iife"), js),
  row("consent.css", await unminified("styles/consent.css"), css),
];
const both = Buffer.concat([js, css]);
const total = {
  name: "total (js + css)",
  raw: files[0].raw + files[1].raw,
  min: both.length,
  gzip: files[0].gzip + files[1].gzip,
  brotli: files[0].brotli + files[1].brotli,
};

/** Texts + purposes of each language, as the embedded block carries them (minified JSON). */
async function texts() {
  if (!values.config)
    return JSON.parse(
      readFileSync(resolve(root, "benchmarks/size.texts.json"), "utf8"),
    );
  const first = await (await fetch(`${values.config}/config`)).json();
  const out = {};
  for (const lang of first.languages) {
    const c = await (
      await fetch(`${values.config}/config?lang=${lang}`)
    ).json();
    out[lang] = { texts: c.texts, purposes: c.purposes };
  }
  return out;
}
const langs = Object.entries(await texts()).map(([lang, t]) => {
  const buf = Buffer.from(JSON.stringify(t));
  return {
    name: `texts + purposes: ${lang}`,
    raw: buf.length,
    min: buf.length,
    gzip: gzip(buf),
    brotli: brotli(buf),
  };
});

/**
 * What a first visit loads in each language: the script with that language's texts bundled in
 * (as consent.js?lang=xx wraps them, one gzip stream) and the stylesheet. The served bundle also
 * carries the rest of the config (policy, languages, vendors): some 50 bytes more.
 */
const firstVisit = Object.entries(await texts()).map(([lang, t]) => {
  const bundle = Buffer.concat([
    Buffer.from("(function(__CONSENT_CONFIG__){"),
    js,
    Buffer.from(`})(${JSON.stringify(t)});`),
  ]);
  return {
    name: `first visit: ${lang} (script + texts, css)`,
    raw: bundle.length + css.length,
    min: bundle.length + css.length,
    gzip: gzip(bundle) + files[1].gzip,
    brotli: brotli(bundle) + files[1].brotli,
  };
});

if (values.json) {
  console.log(
    JSON.stringify(
      { files, total, budget: BUDGET, texts: langs, first_visit: firstVisit },
      null,
      2,
    ),
  );
} else {
  const fmt = (n) => n.toLocaleString("en");
  console.log(
    "| file | raw | min | gzip -9 | brotli 11 |\n|---|---:|---:|---:|---:|",
  );
  for (const r of [...files, total, ...langs, ...firstVisit]) {
    const name = r === total ? `**${r.name}**` : r.name;
    console.log(
      `| ${name} | ${fmt(r.raw)} | ${fmt(r.min)} | ${fmt(r.gzip)} | ${fmt(r.brotli)} |`,
    );
  }
  const verdict = total.gzip <= BUDGET ? "within" : "OVER";
  console.log(
    `\nbudget: js + css <= ${fmt(BUDGET)} bytes gzip -9: ${fmt(total.gzip)} (${verdict})`,
  );
  const en = firstVisit.find((r) => r.name.includes(" en "));
  if (en)
    console.log(
      `first visit in English (script with its texts + css) <= 5 KB: ${fmt(en.gzip)} (${en.gzip <= 5120 ? "within" : "OVER"})`,
    );
  console.log(
    "gzip -9 and brotli 11 by node:zlib; texts are minified JSON of texts + purposes.",
  );
}
