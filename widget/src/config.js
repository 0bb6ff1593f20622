// The configuration: bundled into the script by the server (consent.js?lang=xx, no request for
// the first paint), or fetched from the API next to the script (a page not built with Flask).
import { doc } from './constants.js'

const script = doc.currentScript

export const here = new URL('.', script.src).href.slice(0, -1)

/** Config + {api}: filled at start; texts replaced if the page's language differs. */
export const cfg = {
  // The API next to the script (…/consent/consent.js → …/consent); the embed build's is its
  // site's on the consent service (…/consent/embed.js data-site="landing" →
  // …/consent/sites/landing, docs/EMBED.md).
  // eslint-disable-next-line no-undef
  api: (EMBED && here + '/sites/' + script.dataset.site) || here,
}

/** The nonce of this script, for the stylesheet and inline gated scripts under a strict CSP. */
export const nonce = script.nonce

/**
 * The page's <html lang> if the server offers it and it differs from the bundled language,
 * unless the site chose the language on the server (data-consent-lang="fixed").
 */
export function wantedLang() {
  const lang = doc.documentElement.lang.split('-')[0].toLowerCase()
  return script.dataset.consentLang != 'fixed' && lang != cfg.lang && cfg.languages.includes(lang)
    ? lang
    : null
}

/**
 * The decision in the readable choice cookie: {v: policy version, g: granted, d: refused}, or
 * undefined. The server sets it beside the signed HttpOnly cookie, which stays the authority.
 */
export function choiceCookie() {
  try {
    const value = ('; ' + doc.cookie).split(`; ${cfg.choice_cookie}=`)[1].split(';')[0]
    return JSON.parse(decodeURIComponent(value))
  } catch {}
}

/**
 * A text by key (docs/design.md lists them) with {purpose} and {content} filled from `vars`.
 * A function replacement, so a "$&" in a label or title stays as it is. Always plain text.
 */
export const t = (key, vars = {}) => cfg.texts[key].replace(/{(\w+)}/g, (m, k) => vars[k] ?? m)

/**
 * Whether the browser sends Global Privacy Control. Browsers that send the Sec-GPC header
 * also expose navigator.globalPrivacyControl (the spec asks for both); the page itself is the
 * same for every visitor, so the header is not reflected into it.
 */
export const gpc = navigator.globalPrivacyControl === true
