// Size of the widget as a visitor downloads it: raw (bundled, unminified), min (the committed
// build), gzip -9 and brotli 11 of consent.js, which carries its stylesheet (a page loads
// nothing else; consent.css is shown as a file too, for the receipt page and older browsers,
// and is not loaded by a page); then the texts per language, which come from the server's
// config and are not part of the budget; then what a first visit loads per language:
// consent.js?lang=xx (the script with that language's config bundled in, exactly as the server
// serves it).
//
//   node benchmarks/size.mjs                                  configs from benchmarks/size.texts.json
//   node benchmarks/size.mjs --config http://127.0.0.1:5000/consent   a running server's
//   node benchmarks/size.mjs --json                           machine-readable
//
// Needs widget/node_modules (cd widget && npm ci) for the unminified bundle. The bundles are made
// by consent_sdk itself (WidgetFiles.bundle, which also trims the config), with the Python of
// .venv/ (or $PYTHON); without one, the bundle is estimated with the untrimmed config.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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
/** What a first visit in English may load: consent.js?lang=en, gzip -9. */
const FIRST_VISIT_BUDGET = 5 * 1024;

const gzip = (buf) => gzipSync(buf, { level: 9 }).length;
const brotli = (buf) =>
  brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
    .length;

/**
 * The same bundle as the build, not minified: what the modules weigh before minifying (a
 * script's stylesheet, `css`, unminified in it).
 */
async function unminified(entry, format, css) {
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
    define: css ? { CSS: JSON.stringify(readFileSync(resolve(widget, css), "utf8")) } : {},
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
const dialogJs = readFileSync(resolve(root, "consent_sdk/static/consent-dialog.js"));
const embedJs = readFileSync(resolve(root, "consent_sdk/static/embed.js"));
const MAIN_CSS = "styles/consent.css";
const files = [
  row("consent.js", await unminified("src/index.js", "iife", MAIN_CSS), js),
];
/** consent.css as a file (the widget's and the dialog's rules): not loaded by a page. */
const cssFile = row(
  "consent.css file (receipt page, older browsers)",
  Buffer.concat([await unminified(MAIN_CSS), await unminified("styles/dialog.css")]),
  css,
);
/** The settings dialog's own file, loaded the first time a visitor opens it. */
const dialogFiles = [
  row("consent-dialog.js", await unminified("src/dialog.js", "iife", "styles/dialog.css"), dialogJs),
];
/** The embed build (docs/EMBED.md): for pages not built with Flask; its config is fetched. */
const embedFiles = [
  row("embed.js", await unminified("src/index.js", "iife", MAIN_CSS), embedJs),
];
const total = { ...files[0], name: "total (js with its css)" };

/**
 * The config of each language as the server hands it to WidgetFiles.bundle
 * (AppConsent.request_config: Config + css + choice_cookie), from size.texts.json or a server.
 */
async function configs() {
  if (!values.config)
    return JSON.parse(
      readFileSync(resolve(root, "benchmarks/size.texts.json"), "utf8"),
    );
  const first = await (await fetch(`${values.config}/config`)).json();
  const out = {};
  for (const lang of first.languages)
    out[lang] = await (
      await fetch(`${values.config}/config?lang=${lang}`)
    ).json();
  return out;
}
const configByLang = await configs();

/**
 * consent.js?lang=xx and consent-dialog.js?lang=xx of each language: served by --config, else
 * made by WidgetFiles.bundle and dialog_bundle.
 */
async function bundles() {
  const out = {};
  const dialogs = {};
  const get = async (url) => Buffer.from(await (await fetch(url)).arrayBuffer());
  if (values.config) {
    for (const lang in configByLang) {
      out[lang] = await get(`${values.config}/consent.js?lang=${lang}`);
      dialogs[lang] = await get(new URL(configByLang[lang].dialog, values.config).href);
    }
    return { out, dialogs, exact: true };
  }
  const venv = resolve(root, ".venv/bin/python");
  const python = process.env.PYTHON || (existsSync(venv) ? venv : "python3");
  const script = [
    "import json, sys",
    "from consent_sdk.widgetfiles import WidgetFiles",
    "files = WidgetFiles()",
    "configs = json.load(sys.stdin)",
    "json.dump({k: [files.bundle(c)[0].decode(), files.dialog_bundle(c)[0].decode()]",
    "           for k, c in configs.items()}, sys.stdout)",
  ].join("\n");
  try {
    const made = JSON.parse(
      execFileSync(python, ["-c", script], {
        cwd: root,
        input: JSON.stringify(configByLang),
        stdio: ["pipe", "pipe", "ignore"],
      }).toString(),
    );
    for (const lang in made) {
      out[lang] = Buffer.from(made[lang][0]);
      dialogs[lang] = Buffer.from(made[lang][1]);
    }
    return { out, dialogs, exact: true };
  } catch {
    // No consent_sdk to import: the same wrapper around the whole, untrimmed config.
    for (const [lang, c] of Object.entries(configByLang))
      out[lang] = Buffer.concat([
        Buffer.from("(function(__CONSENT_CONFIG__){"),
        js,
        Buffer.from(`})(${JSON.stringify(c)});`),
      ]);
    return { out, dialogs, exact: false };
  }
}
const { out: bundleByLang, dialogs: dialogByLang, exact } = await bundles();

/** Texts + purposes of each language (minified JSON), as they weigh on their own. */
const langs = Object.entries(configByLang).map(([lang, c]) => {
  const buf = Buffer.from(
    JSON.stringify({ texts: c.texts, purposes: c.purposes }),
  );
  return {
    name: `texts + purposes: ${lang}`,
    raw: buf.length,
    min: buf.length,
    gzip: gzip(buf),
    brotli: brotli(buf),
  };
});

/**
 * What a first visit loads in each language: consent.js?lang=xx (the script with its
 * stylesheet and that language's config bundled in, one gzip stream).
 */
const firstVisit = Object.entries(bundleByLang).map(([lang, bundle]) =>
  row(`first visit: ${lang} (script + css + config)`, bundle, bundle),
);

/** What the first opening of the dialog adds in each language: its bundle. */
const dialogOpening = Object.entries(dialogByLang).map(([lang, bundle]) =>
  row(`opening the dialog: ${lang} (script + css + texts)`, bundle, bundle),
);

if (values.json) {
  console.log(
    JSON.stringify(
      {
        files,
        css_file: cssFile,
        total,
        budget: BUDGET,
        texts: langs,
        first_visit: firstVisit,
        first_visit_budget: FIRST_VISIT_BUDGET,
        first_visit_exact: exact,
        dialog_files: dialogFiles,
        dialog_opening: dialogOpening,
        embed_files: embedFiles,
      },
      null,
      2,
    ),
  );
} else {
  const fmt = (n) => n.toLocaleString("en");
  console.log(
    "| file | raw | min | gzip -9 | brotli 11 |\n|---|---:|---:|---:|---:|",
  );
  const rows = [...files, cssFile, total, ...langs, ...firstVisit, ...dialogFiles, ...dialogOpening];
  for (const r of [...rows, ...embedFiles]) {
    const name = r === total ? `**${r.name}**` : r.name;
    console.log(
      `| ${name} | ${fmt(r.raw)} | ${fmt(r.min)} | ${fmt(r.gzip)} | ${fmt(r.brotli)} |`,
    );
  }
  const verdict = total.gzip <= BUDGET ? "within" : "OVER";
  console.log(
    `\nbudget: js with its css <= ${fmt(BUDGET)} bytes gzip -9: ${fmt(total.gzip)} (${verdict})`,
  );
  const en = firstVisit.find((r) => r.name.includes(" en "));
  if (en)
    console.log(
      `first visit in English (consent.js?lang=en) <= ${fmt(FIRST_VISIT_BUDGET)}: ${fmt(en.gzip)} (${en.gzip <= FIRST_VISIT_BUDGET ? "within" : "OVER"})`,
    );
  console.log(
    "gzip -9 and brotli 11 by node:zlib; texts are minified JSON of texts + purposes;",
  );
  console.log(
    exact
      ? "first visits are the bundles consent_sdk serves (WidgetFiles.bundle)."
      : "first visits are ESTIMATES (no consent_sdk to bundle with: set PYTHON).",
  );
}
