// Build the widget: widget/src/index.js and the settings dialog it loads on demand,
// widget/src/dialog.js -> a minified IIFE each, with its stylesheet's minified text inside
// (`CSS`: widget/styles/consent.css and dialog.css, applied as a constructed stylesheet, so a
// page makes no request for it); consent.css also as a file of its own, with the dialog's rules
// too (the receipt page links it, and a browser without constructed stylesheets); all written to consent_sdk/static/ (committed, served by the blueprint).
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

// Two scripts: the widget (src/index.js) and the settings dialog it loads on demand
// (src/dialog.js). Each is its modules as one ES module (esbuild), minified as one scope and
// wrapped in an IIFE (terser).
// `embed`: the embed build (embed.js, for pages not built with Flask: docs/EMBED.md). The same
// sources; EMBED is a constant in each, so terser drops the other mode's code.
// `css`: the minified text of its stylesheet, the constant CSS in the sources.
// `props`: the internal properties' short names so far, shared by every file: the dialog's file
// reads the page widget's config (`_asks`), so a name must be the same in each.
let props
async function script(entry, name, css, embed = false) {
  const bundled = await esbuild.build({
    ...common,
    entryPoints: [entry],
    format: 'esm',
    write: false,
    define: { EMBED: String(embed), CSS: JSON.stringify(css) },
  })
  const nameCache = { props }
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
    nameCache,
  })
  props = nameCache.props
  writeFileSync(resolve(outdir, name), `(()=>{${code}})();\n`)
}
mkdirSync(outdir, { recursive: true })
const styles = await esbuild.build({
  ...common,
  entryPoints: { consent: 'styles/consent.css', 'consent-dialog': 'styles/dialog.css' },
  minify: true,
  outdir,
  write: false,
})
// Each ends in a newline, which the constant does not need.
const [css, dialogCss] = ['consent.css', 'consent-dialog.css'].map(name =>
  styles.outputFiles.find(f => f.path.endsWith('/' + name)).text.trim()
)
writeFileSync(resolve(outdir, 'consent.css'), css + dialogCss + '\n')
await script('src/index.js', 'consent.js', css)
await script('src/dialog.js', 'consent-dialog.js', dialogCss)
await script('src/index.js', 'embed.js', css, true)

console.log(`built consent.js, consent.css, consent-dialog.js and embed.js in ${outdir}`)
