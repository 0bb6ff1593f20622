// Build the widget: widget/src/index.js -> one minified IIFE, widget/styles/consent.css -> one
// minified stylesheet, both written to consent_sdk/static/ (committed, served by the blueprint).
//   npm run build                      -> ../consent_sdk/static/
//   npm run build -- --outdir DIR      -> DIR (the build check compares it with the committed ones)
//   CONSENT_WIDGET_OUTDIR=DIR npm run build
// esbuild bundles (and minifies the stylesheet), terser minifies the script: about 4 % smaller
// gzipped than esbuild's own minifier (benchmarks/size.mjs). Both are deterministic for fixed
// versions and options; the lock file pins the versions.
import * as esbuild from 'esbuild'
import { minify } from 'terser'
import { mkdirSync, writeFileSync } from 'node:fs'
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
  target: ['chrome105', 'firefox110', 'safari15.4'],
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
}

// The modules as one ES module (esbuild), minified as one scope and wrapped in an IIFE (terser).
const bundled = await esbuild.build({
  ...common,
  entryPoints: ['src/index.js'],
  format: 'esm',
  write: false,
})
const { code } = await minify(bundled.outputFiles[0].text, {
  ecma: 2020,
  module: true,
  compress: {
    passes: 3,
    inline: 1,
    unsafe: true,
    unsafe_arrows: true,
    pure_getters: true,
    drop_debugger: true,
    // Keeps if/else as statements where joining them into ?: would not pay: a few bytes
    // smaller gzipped (benchmarks/size.mjs), the same code otherwise.
    conditionals: false,
  },
  // Internal properties named _x (e.g. an iframe's _ph placeholder) shrink to one letter.
  mangle: { properties: { regex: /^_/ } },
  format: { comments: false },
})
mkdirSync(outdir, { recursive: true })
writeFileSync(resolve(outdir, 'consent.js'), `(()=>{${code}})();\n`)

await esbuild.build({
  ...common,
  entryPoints: { consent: 'styles/consent.css' },
  minify: true,
  outdir,
})
console.log(`built consent.js and consent.css in ${outdir}`)
