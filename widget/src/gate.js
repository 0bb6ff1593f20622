// Gated content: scripts and iframes run only when all their purposes are granted, and the
// cookies of refused purposes are deleted. What already ran cannot be stopped.
import { ACTION, CLS, GATE, PURPOSE, RECORDED, UI } from './constants.js'
import { $$, doc, h, root } from './dom.js'
import { cfg, t } from './config.js'

const started = new Set()
let chain = Promise.resolve()

/** The purposes an element needs: data-consent="analytics marketing" means both. */
const needs = el => el.getAttribute(GATE).trim().split(/\s+/)
const allowed = (el, purposes) => needs(el).every(p => purposes[p])

/**
 * Activate granted scripts once, in document order; show or park gated iframes. A script
 * marked data-consent-recorded needs its purposes in `held` (recorded by the server) too.
 */
export function gate(purposes, held) {
  for (const s of $$(`script[type="text/plain"][${GATE}]`)) {
    if (!started.has(s) && allowed(s, s.hasAttribute(RECORDED) ? held : purposes)) {
      started.add(s)
      chain = chain.then(() => run(s))
    }
  }
  for (const f of $$(`iframe[${GATE}]`)) frame(f, allowed(f, purposes))
}

/**
 * Replace a text/plain script with a live copy (same attributes, text and nonce). An external
 * one is awaited before the next starts, so the page's order holds.
 */
function run(old) {
  const s = doc.createElement('script')
  for (const a of old.attributes) if (a.name != 'type') s.setAttribute(a.name, a.value)
  s.nonce = old.nonce
  s.text = old.text
  const loaded = s.src && new Promise(done => (s.onload = s.onerror = done))
  old.replaceWith(s)
  return loaded
}

/** Load a granted iframe from data-src; otherwise blank it and show its placeholder. */
function frame(f, ok) {
  const src = f.getAttribute('data-src')
  const current = f.getAttribute('src')
  if (ok ? current != src : current == src) f.src = ok ? src : 'about:blank'
  f.hidden = !ok
  if (!ok && !f._ph) f.before((f._ph = placeholder(f)))
  if (f._ph) f._ph.hidden = ok
}

/**
 * "{content} is blocked, it uses cookies for {purpose}" with a button that grants exactly those
 * purposes. The content is the iframe's title, else the host it would load from (an <a> parses
 * the URL and never throws).
 */
function placeholder(f) {
  const ids = needs(f)
  const vars = {
    purpose: cfg.purposes
      .filter(p => ids.includes(p.id))
      .map(p => p.label)
      .join(', '),
    content: f.title || h('a', { href: f.getAttribute('data-src') }).hostname,
  }
  return root('div', 'ph', { [UI]: 'placeholder' }, [
    h('p', {}, t('placeholder_text', vars)),
    h(
      'button',
      { type: 'button', class: `${CLS}-btn`, [ACTION]: 'enable', [PURPOSE]: ids.join(' ') },
      t('placeholder_button', vars)
    ),
  ])
}

/** "_ga*" -> /^_ga.*$/ */
const glob = pattern =>
  RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`)

/**
 * Delete the declared cookies (names and * patterns) of every refused purpose, on the host
 * itself, on .host and on the configured cookie domain. HttpOnly cookies are out of reach.
 */
export function clearCookies(purposes) {
  const patterns = cfg.purposes.filter(p => !purposes[p.id]).flatMap(p => p.cookies.map(glob))
  const host = location.hostname
  for (const pair of doc.cookie.split(';')) {
    const name = pair.split('=')[0].trim()
    if (!name || !patterns.some(re => re.test(name))) continue
    for (const domain of ['', host, '.' + host, cfg.cookie_domain]) {
      if (domain != null)
        doc.cookie = `${name}=; Max-Age=0; Path=/${domain && '; Domain=' + domain}`
    }
  }
}
