// consent_sdk widget: reads the embedded config, pushes the Consent Mode default at once, then
// renders the banner (undecided) or the settings button (decided) when the DOM is ready.
import { ACTION, PURPOSE, UI } from './constants.js'
import { doc, domReady } from './dom.js'
import { anyChoice, cfg, gpc, readBlock, wantedLang } from './config.js'
import { call } from './api.js'
import { enqueue, flush, listen, prune } from './store.js'
import { emit, on, pushDataLayer, recorded, refused } from './events.js'
import { cmDefault, cmUpdate } from './consentmode.js'
import { clearCookies, gate } from './gate.js'
import { hideBanner, hideFab, setOffline, showBanner } from './banner.js'
import { closeDialog, openDialog, toggles } from './preferences.js'

let state
let ready = false
// A decision on its way to the server: it takes effect once the server has set the cookie.
let sent
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
 * The stored decision still counts under this policy version (rule 11). Expiry is the server's
 * call: a visitor's clock that runs fast must not re-ask on every page (rule 12).
 */
const valid = s => s?.decided && s.policy_version == cfg.policy_version

/** RFC 4122 version 4, from getRandomValues (randomUUID needs a secure context). */
const uuid = () =>
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, c =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)
  )

/** Bring the page in line with the state: gated content, cookies, and which layer shows. */
function render() {
  if (!ready) return
  gate(state.purposes)
  clearCookies(state.purposes)
  // Only exempt purposes: nothing to ask, so no banner and no settings button.
  if (!anyChoice()) return
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
 * A decision goes to the server through the retry queue (same event_id on every attempt).
 * Consent Mode hears it at once (rule 20), and so does the page when it only refuses. A choice
 * that grants more takes effect in the page (gated content, events) once the server has recorded
 * it and set the cookie, so a gated tag that calls a server-gated endpoint is let in; if the
 * server cannot be reached it takes effect anyway while delivery goes on in the background.
 * A withdrawal is a DELETE: everything refused, undecided.
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
  const next = withdraw ? undecided() : { ...state, decided: true, purposes }
  latestId = !withdraw && body.event_id
  prior = state
  consentMode(purposes)
  if (cfg.purposes.some(p => purposes[p.id] && !state.purposes[p.id])) {
    sent = next
    hideBanner()
  } else {
    sent = null
    apply(next)
  }
  enqueue({ m: withdraw ? 'DELETE' : 'POST', v: cfg.policy_version, b: body })
}

/**
 * The server refused a decision for good (a 4xx). If it is the latest, what it granted never
 * took effect: back to the state before it with its refusals still applied, so an undecided
 * visitor is asked again. The page hears of it either way (console, consent:error).
 */
function onRefused(err, item) {
  setOffline(false)
  if (item.b.event_id == latestId) {
    const purposes = complete(item.b.purposes)
    for (const id in purposes) purposes[id] &&= prior.purposes[id]
    sent = null
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

function start(block) {
  Object.assign(cfg, block)
  // A decision the server has not acknowledged yet wins over the (older) embedded state; if
  // the server refuses it, the embedded state is what holds.
  prior = valid(cfg.state) ? cfg.state : undecided()
  const last = prune(cfg.policy_version).pop()
  state = last
    ? last.m == 'DELETE'
      ? undecided()
      : { ...undecided(), decided: true, purposes: complete(last.b.purposes) }
    : prior
  latestId = last?.m == 'POST' && last.b.event_id

  // Rule 20: the default now, synchronously, before any tag below this script can run; then a
  // returning visitor's stored choice right away.
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
    has: purpose => (sent || state).purposes[purpose] === true,
    get: () => structuredClone(sent || state),
    on: (type, fn) => type == 'change' && on(fn),
  }
  doc.addEventListener('click', onClick)

  listen((answer, done) => {
    setOffline(!answer)
    const next = sent || state
    if (!answer) {
      // Not delivered (yet): the choice applies in the page all the same.
      sent = null
      apply(next)
    } else if (done) {
      // The server's record (consent id, dates) once everything queued is delivered.
      sent = null
      apply({ ...answer, purposes: next.purposes, decided: next.decided })
      recorded(state)
    }
  }, onRefused)
  flush()

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
    // Gated content added later (by a framework, AJAX) is handled too, once per burst of changes.
    let queued = false
    new MutationObserver(() => {
      if (queued) return
      queued = true
      queueMicrotask(() => {
        queued = false
        gate(state.purposes)
      })
    }).observe(doc.body, { childList: true, subtree: true })
  })
}

// With the embedded block everything above runs before the rest of <head>; a page without it
// (a non-Flask embed) asks the API next to the script for the config and the visitor's state.
const block = readBlock()
if (block) start(block)
else {
  const api = new URL('.', doc.currentScript.src).href.slice(0, -1)
  cfg.api = api
  Promise.all([call('/config'), call('/state')]).then(([config, s]) =>
    start({ ...config, api, state: s })
  )
}
