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

/** The page's <html lang> if the server offers it and it differs from the embedded language. */
export function wantedLang() {
  const lang = doc.documentElement.lang.split('-')[0].toLowerCase()
  return lang != cfg.lang && (cfg.languages || []).includes(lang) ? lang : null
}

/** A text by key (docs/design.md lists them), with {purpose} replaced. Always plain text. */
export const t = (key, purpose = '') => (cfg.texts[key] || '').replaceAll('{purpose}', purpose)

/** Whether the visitor's browser (or the page request, Sec-GPC) sends Global Privacy Control. */
export const gpc = () => navigator.globalPrivacyControl === true || cfg.gpc === true
