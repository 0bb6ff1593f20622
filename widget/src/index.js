// consent_sdk widget: reads the bundled config and the visitor's choice cookie, pushes the
// Consent Mode default and a returning visitor's update at once, then renders the banner
// (undecided) or the settings button (decided) once the DOM and the stylesheet are ready.
import { ACTION, PURPOSE, UI } from './constants.js'
import { doc, domReady, h } from './dom.js'
import { anyChoice, apiBase, bundled, cfg, choiceCookie, gpc, nonce, wantedLang } from './config.js'
import { call } from './api.js'
import { enqueue, flush, listen, prune } from './store.js'
import { emit, on, pushDataLayer, recorded, refused } from './events.js'
import { cmDefault, cmUpdate } from './consentmode.js'
import { clearCookies, gate } from './gate.js'
import { hideBanner, hideFab, setOffline, showBanner } from './banner.js'
import { closeDialog, openDialog, toggles } from './preferences.js'

let state
// The DOM (and the page language's texts) are ready: gate; the stylesheet too: show the UI.
let ready = false
let styled = false
// The purposes the server holds (its cookie is set): what data-consent-recorded content needs.
let held
// The latest Decision's event_id, and the state before it: what holds if the server refuses it.
let latestId
let prior

/** {purpose: bool} for every configured purpose: required ones granted, unlisted refused. */
function complete(choice) {
  const out = {}
  for (const p of cfg.purposes) out[p.id] = p.required || choice[p.id] === true
  return out
}

const undecided = () => ({
  decided: false,
  consent_id: null,
  purposes: complete({}),
  policy_version: cfg.policy_version,
  given_at: null,
  expires_at: null,
})

/**
 * The decision in the choice cookie, if it still answers what the site asks: same policy
 * version and every purpose granted or refused in it (rule 11). Expiry is the server's call
 * (the cookie lives exactly as long as the consent): a visitor's clock that runs fast must not
 * re-ask on every page (rule 12).
 */
function stored() {
  const c = choiceCookie()
  const answers = p => c.g.includes(p.id) || c.d.includes(p.id)
  if (!c || c.v != cfg.policy_version || !cfg.purposes.every(answers)) return undecided()
  const granted = Object.fromEntries(c.g.map(id => [id, true]))
  return { ...undecided(), decided: true, purposes: complete(granted) }
}

/** RFC 4122 version 4, from getRandomValues (randomUUID needs a secure context). */
const uuid = () =>
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, c =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)
  )

/** Bring the page in line with the state: gated content, cookies, and which layer shows. */
function render() {
  if (!ready) return
  gate(state.purposes, held)
  clearCookies(state.purposes)
  // Only exempt purposes: nothing to ask, so no banner and no settings button.
  if (!styled || !anyChoice()) return
  if (state.decided) hideBanner()
  else {
    hideFab()
    showBanner()
  }
}

let cmLast
/** A Consent Mode update, unless these very purposes were the last ones pushed. */
function consentMode(purposes) {
  const key = JSON.stringify(purposes)
  if (key != cmLast) cmUpdate(purposes)
  cmLast = key
}

/**
 * Adopt a new state and bring Consent Mode and the page in line (they may have gone ahead of
 * it, for a decision still on its way); if the choice changed, tell the page's listeners.
 */
function apply(next) {
  const changed =
    next.decided != state.decided || JSON.stringify(next.purposes) != JSON.stringify(state.purposes)
  state = next
  consentMode(state.purposes)
  render()
  if (changed) emit(state)
}

/**
 * A decision takes effect in the page at once (Consent Mode, rule 20; gated content; events)
 * and goes to the server through the retry queue (same event_id on every attempt). Content
 * marked data-consent-recorded (a tag that calls a @requires_consent endpoint) waits until the
 * server has recorded the decision and set its cookie. A withdrawal is a DELETE: everything
 * refused, undecided.
 */
function decide(choice, action, source) {
  // Only exempt purposes: there is nothing to record.
  if (!anyChoice()) return
  const withdraw = action == 'withdraw'
  const purposes = complete(withdraw ? {} : choice)
  const body = { event_id: uuid(), source, language: cfg.lang, gpc: gpc() }
  if (!withdraw) {
    body.action = action
    body.purposes = {}
    for (const p of cfg.purposes) if (!p.required) body.purposes[p.id] = purposes[p.id]
  }
  latestId = !withdraw && body.event_id
  prior = state
  // At once: Consent Mode, the page's listeners, gated content (but what waits for the record).
  apply(withdraw ? undecided() : { ...state, decided: true, purposes })
  enqueue({ m: withdraw ? 'DELETE' : 'POST', v: cfg.policy_version, b: body })
}

/**
 * The server refused a decision for good (a 4xx). If it is the latest, what it granted is
 * taken back: the state before it with its refusals still applied, so an undecided visitor is
 * asked again (a script it started cannot be stopped; nothing is stored, so it does not run on
 * the next page). The page hears of it either way (console, consent:error).
 */
function onRefused(err, item) {
  setOffline(false)
  if (item.b.event_id == latestId) {
    const purposes = complete(item.b.purposes)
    for (const id in purposes) purposes[id] &&= prior.purposes[id]
    apply({ ...prior, purposes })
  }
  refused(err, item)
}

const all = () => Object.fromEntries(cfg.purposes.map(p => [p.id, true]))

/** Every control is a [data-consent-action] element; settings links may be anywhere on the page. */
function onClick(e) {
  const el = e.target.closest?.(`[${ACTION}]`)
  if (!el) return
  const action = el.getAttribute(ACTION)
  const source = el.closest(`[${UI}="dialog"]`) ? 'settings' : 'banner'
  if (action == 'settings' || action == 'customize') {
    e.preventDefault()
    openDialog(state)
    return
  }
  if (action == 'accept-all') decide(all(), 'accept_all', source)
  else if (action == 'reject-all') decide({}, 'reject_all', source)
  else if (action == 'save') decide(toggles(), 'save', source)
  // A placeholder's button: grant its purposes, keep the others as they are.
  else if (action == 'enable') {
    const choice = { ...state.purposes }
    for (const p of el.getAttribute(PURPOSE).split(' ')) choice[p] = true
    decide(choice, 'save', 'settings')
  } else if (action != 'close') return
  closeDialog()
}

function start(config) {
  Object.assign(cfg, config)
  // A decision the server has not acknowledged yet wins over the (older) stored one; if the
  // server refuses it, the stored one is what holds.
  prior = stored()
  held = prior.purposes
  const last = prune(cfg.policy_version).pop()
  state = last
    ? last.m == 'DELETE'
      ? undecided()
      : { ...undecided(), decided: true, purposes: complete(last.b.purposes) }
    : prior
  latestId = last?.m == 'POST' && last.b.event_id

  // Rule 20: the default now, before any gated tag can run; then a returning visitor's stored
  // choice right away.
  cmDefault()
  if (state.decided) {
    consentMode(state.purposes)
    pushDataLayer(state.purposes)
  }

  window.ConsentSDK = {
    show: () => openDialog(state),
    acceptAll: () => decide(all(), 'accept_all', 'api'),
    rejectAll: () => decide({}, 'reject_all', 'api'),
    save: choice => decide(choice, 'save', 'api'),
    withdraw: () => decide({}, 'withdraw', 'api'),
    has: purpose => state.purposes[purpose] === true,
    get: () => structuredClone(state),
    on: (type, fn) => type == 'change' && on(fn),
  }
  doc.addEventListener('click', onClick)

  listen((answer, done) => {
    setOffline(!answer)
    if (answer && done) {
      // The server holds everything queued (its cookie is set): content that waits for the
      // record may start, and the page learns the record's consent id and dates.
      held = state.purposes
      apply({ ...answer, purposes: state.purposes, decided: state.decided })
      render()
      recorded(state)
    }
  }, onRefused)
  flush()

  // The stylesheet, without holding up the page's first paint (consent_banner() preloads it).
  const css = h('link', { rel: 'stylesheet', href: cfg.css })
  css.nonce = nonce()
  const loaded = new Promise(done => (css.onload = css.onerror = done))
  doc.head.append(css)

  // Texts in the page's language if the server has it (one request, only when it differs).
  const lang = wantedLang()
  const texts =
    lang &&
    call(`/config?lang=${lang}`).then(
      c => Object.assign(cfg, c),
      () => {}
    )
  Promise.all([domReady, texts]).then(() => {
    ready = true
    render()
    loaded.then(() => {
      styled = true
      render()
    })
    // Gated content added later (by a framework, AJAX) is handled too, once per burst of changes.
    let queued = false
    new MutationObserver(() => {
      if (queued) return
      queued = true
      queueMicrotask(() => {
        queued = false
        gate(state.purposes, held)
      })
    }).observe(doc.body, { childList: true, subtree: true })
  })
}

// consent_banner() links the script with the page language's config bundled in; the bare
// script (a page not built with Flask) asks the API next to it for the config.
cfg.api = apiBase()
const config = bundled()
if (config) start(config)
else call('/config').then(start)
