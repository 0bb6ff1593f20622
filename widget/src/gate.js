// Gated content: scripts and iframes run only when all their purposes are granted, and the
// cookies of refused purposes are deleted. What already ran cannot be stopped.
import { GATE, PURPOSE, RECORDED } from './constants.js'
import { $$, button, doc, h, root } from './dom.js'
import { cfg, t } from './config.js'

/** The purposes an element needs: data-consent="analytics marketing" means both. */
const needs = el => el.getAttribute(GATE).trim().split(/\s+/)
const allowed = (el, purposes) => needs(el).every(p => purposes[p])

// Granted scripts not started yet, in document order; whether an external one is loading; what
// waits until none is.
const queue = []
let loading
const waiting = []

/** Call `fn` once no started script is loading any more (at once if none is). */
export const idle = fn => (loading ? waiting.push(fn) : fn())

/**
 * Activate granted scripts once (each is marked _run when queued), in document order, at once
 * (in this task: a decision's tags are fetched before anything else happens); show or park
 * gated iframes. A script marked data-consent-recorded needs its purposes in `held` (recorded
 * by the server) too.
 */
export function gate(purposes, held) {
  for (const s of $$(`script[type="text/plain"][${GATE}]`))
    if (!s._run && allowed(s, s.hasAttribute(RECORDED) ? held : purposes)) queue.push((s._run = s))
  loading || next()
  for (const f of $$(`iframe[${GATE}]`)) frame(f, allowed(f, purposes))
}

/**
 * Start the queued scripts in order. Each is replaced with a live copy: a clone keeps its
 * attributes, text and nonce, and, as the original never started (its type was not
 * JavaScript), runs once inserted. An external one is awaited (loaded or failed) before the
 * next starts, so the page's order holds.
 */
function next() {
  loading = 0
  while (!loading && queue.length) {
    const old = queue.shift()
    const s = old.cloneNode(true)
    s.removeAttribute('type')
    // One the page has taken out meanwhile is not inserted, so it is not awaited either.
    if (s.src && old.parentNode) loading = s.onload = s.onerror = next
    old.replaceWith(s)
  }
  if (!loading) waiting.splice(0).map(fn => fn())
}

/** Load a granted iframe from data-src; otherwise blank it and show its placeholder. */
function frame(f, ok) {
  const src = f.dataset.src
  // Granted and not showing data-src, or refused and showing it.
  if (ok != (f.getAttribute('src') == src)) f.src = ok ? src : 'about:blank'
  f.hidden = !ok
  if (!ok) f._ph ||= placeholder(f)
  if (f._ph) f._ph.hidden = ok
}

/**
 * "{content} is blocked, it uses cookies for {purpose}" with a button that grants exactly those
 * purposes, before the iframe. The content is the iframe's title, else the host it would load
 * from (an <a> parses the URL and never throws).
 */
function placeholder(f) {
  const ids = needs(f)
  const vars = {
    purpose: cfg.purposes
      .filter(p => ids.includes(p.id))
      .map(p => p.label)
      .join(', '),
    content: f.title || h('a', { href: f.dataset.src }).hostname,
  }
  const ph = root(
    'div',
    'placeholder',
    {},
    h('p', {}, t('placeholder_text', vars)),
    button('enable', t('placeholder_button', vars), { [PURPOSE]: ids.join(' ') })
  )
  f.before(ph)
  return ph
}

/** "_ga*" -> /^_ga.*$/ (every other character literal: \W escaped). */
const glob = pattern => RegExp(`^${pattern.replace(/[^\w*]/g, '\\$&').replaceAll('*', '.*')}$`)

/**
 * Delete the declared cookies (names and * patterns) of every refused purpose, on the host
 * itself, on .host and on the configured cookie domain. HttpOnly cookies are out of reach.
 */
export function clearCookies(purposes) {
  const patterns = cfg.purposes.filter(p => !purposes[p.id]).flatMap(p => p.cookies.map(glob))
  const host = location.hostname
  // Nothing refused, nothing to delete: the cookies are not even read (that asks the browser).
  if (patterns[0])
    for (const pair of doc.cookie.split(';')) {
      const name = pair.split('=')[0].trim()
      if (name && patterns.some(re => re.test(name)))
        // Host-only, then Domain=host (the same as ".host": RFC 6265 ignores the leading dot).
        for (const domain of ['', host, cfg.cookie_domain || ''])
          doc.cookie = `${name}=;max-age=0;path=/${domain && ';domain=' + domain}`
    }
}
