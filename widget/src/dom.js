// Tiny DOM helpers. Text is only ever set with textContent: translations are never parsed as HTML.
import { ACTION, UI, doc } from './constants.js'
import { cfg } from './config.js'

export { doc }

/**
 * Create an element. Each of `kids` is a node or a string, which becomes a text node (never
 * parsed as HTML); falsy ones are skipped. Attributes are set with setAttribute; never a style
 * or on* one.
 */
export function h(tag, attrs, ...kids) {
  const el = doc.createElement(tag)
  for (const k in attrs) el.setAttribute(k, attrs[k])
  el.append(...kids.filter(Boolean))
  return el
}

/** An element with the widget's class `csdk-{name}`. */
export const hc = (tag, name, ...kids) => h(tag, { class: 'csdk-' + name }, ...kids)

/** A button; every choice button shares one class, so they look and weigh the same (rule 2). */
export const button = (action, text, attrs) =>
  h('button', { class: 'csdk-btn', type: 'button', [ACTION]: action, ...attrs }, text)

/**
 * A root of the widget's UI: class "csdk csdk-{name}", the test hook data-consent-ui="{name}",
 * and the language of its texts, which may differ from the page's (WCAG 3.1.2).
 */
export const root = (tag, name, attrs, ...kids) =>
  h(tag, { class: 'csdk csdk-' + name, [UI]: name, lang: cfg.lang, ...attrs }, ...kids)

/** querySelectorAll as an array. */
export const $$ = (sel, root = doc) => [...root.querySelectorAll(sel)]

/** Resolves once the DOM is parsed (at once for the deferred script consent_banner() writes). */
export const domReady = new Promise(resolve =>
  doc.readyState == 'loading' ? doc.addEventListener('DOMContentLoaded', resolve) : resolve()
)

/**
 * Apply a stylesheet given as text (the build puts each script's own in it) as a constructed
 * stylesheet, which a strict CSP allows with no request and no `unsafe-inline`; true if it
 * did. A browser without them (Safari before 16.4) gets the file instead (index.js).
 */
export function style(css) {
  if (doc.adoptedStyleSheets) {
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(css)
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet]
    return 1
  }
}
