// The configuration: embedded by consent_banner() (no request for the first paint), or fetched.
import { CONFIG_ID } from './constants.js'

const doc = document

/** Config + {api, state, gpc}: filled at start; texts replaced if the page's language differs. */
export const cfg = {}

/** The embedded JSON block, or null on a page without it (a non-Flask embed). */
export function readBlock() {
  const el = doc.getElementById(CONFIG_ID)
  return el && JSON.parse(el.textContent)
}

/**
 * The page's <html lang> if the server offers it and it differs from the embedded language,
 * unless the site chose the language on the server (lang_fixed).
 */
export function wantedLang() {
  const lang = doc.documentElement.lang.split('-')[0].toLowerCase()
  return !cfg.lang_fixed && lang != cfg.lang && (cfg.languages || []).includes(lang) ? lang : null
}

/**
 * A text by key (docs/design.md lists them) with {purpose} and {content} filled from `vars`.
 * A function replacement, so a "$&" in a label or title stays as it is. Always plain text.
 */
export const t = (key, vars = {}) =>
  (cfg.texts[key] || '').replace(/{(\w+)}/g, (m, k) => vars[k] ?? m)

/** Whether any purpose needs consent; a site with only exempt ones has nothing to ask. */
export const anyChoice = () => cfg.purposes.some(p => !p.required)

/** Whether the visitor's browser (or the page request, Sec-GPC) sends Global Privacy Control. */
export const gpc = () => navigator.globalPrivacyControl === true || cfg.gpc === true
