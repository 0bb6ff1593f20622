// Build the widget: widget/src/index.js -> one minified IIFE, widget/styles/consent.css -> one
// minified stylesheet, both written to consent_sdk/static/ (committed, served by the blueprint).
//   npm run build                      -> ../consent_sdk/static/
//   npm run build -- --outdir DIR      -> DIR (the build check compares it with the committed ones)
//   CONSENT_WIDGET_OUTDIR=DIR npm run build
// esbuild is deterministic for a fixed version and options; the lock file pins the version.
import * as esbuild from 'esbuild'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { outdir: { type: 'string' } } })
// npm runs scripts in widget/; a relative --outdir means relative to where npm was called.
const base = process.env.INIT_CWD || process.cwd()
const given = values.outdir || process.env.CONSENT_WIDGET_OUTDIR
const outdir = given ? resolve(base, given) : resolve(here, '../consent_sdk/static')

const common = {
  absWorkingDir: here,
  bundle: true,
  minify: true,
  outdir,
  target: ['chrome105', 'firefox110', 'safari15.4'],
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
}

await esbuild.build({
  ...common,
  entryPoints: { consent: 'src/index.js' },
  format: 'iife',
  // Internal properties named _x (e.g. an iframe's _ph placeholder) shrink to one letter.
  mangleProps: /^_/,
})
await esbuild.build({ ...common, entryPoints: { consent: 'styles/consent.css' } })
console.log(`built consent.js and consent.css in ${outdir}`)
