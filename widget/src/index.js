// consent_sdk widget: reads the bundled config and the visitor's choice cookie, pushes the
// vendors' consent defaults and a returning visitor's update at once, then, after the page's
// first paint, gates content and renders the banner (undecided) or the settings button
// (decided) once the DOM is ready.
import { ACTION, GATE, PURPOSE } from './constants.js'
import { doc, domReady, h, style } from './dom.js'
import { cfg, choiceCookie, gpc, here, nonce, wantedLang } from './config.js'
import { call } from './api.js'
import { enqueue, flush, listen, prune, uuid } from './store.js'
import { clone, emit, on, pushDataLayer, recorded, refused } from './events.js'
import { vendorsDefault, vendorsUpdate } from './vendors.js'
import { clearCookies, gate, idle } from './gate.js'
import { layers, setOffline } from './banner.js'
import { closeDialog, openDialog, toggles } from './lazy.js'

// Undefined until load() reads the choice cookie.
let state
// The DOM (and the page language's texts) are ready, the stylesheet applied: gate, show the UI.
let ready
// The purposes the server holds (its cookie is set): what data-consent-recorded content needs.
let held
// The latest Decision's event_id, and the state before it: what holds if the server refuses it.
let latestId
let prior

/** {purpose: bool} for every configured purpose: required ones granted, the others if `granted(id)`. */
const complete = granted =>
  Object.fromEntries(cfg.purposes.map(p => [p.id, p.required || granted(p.id)]))

/** {purpose: bool} from a choice {purpose: true}: anything but true is refused. */
const choose = choice => complete(id => choice[id] === true)

/** The State before any decision (or after a withdrawal): only the exempt purposes granted. */
const undecided = () => ({
  decided: false,
  purposes: choose({}),
  policy_version: cfg.policy_version,
  given_at: null,
  expires_at: null,
})

const decided = purposes => ({ ...undecided(), decided: true, purposes })

/**
 * The decision in the choice cookie, if it still answers what the site asks: same policy
 * version and every purpose granted or refused in it (rule 11). Expiry is the server's call
 * (the cookie lives exactly as long as the consent): a visitor's clock that runs fast must not
 * re-ask on every page (rule 12).
 */
function stored() {
  const c = choiceCookie()
  return c?.v == cfg.policy_version && cfg.purposes.every(p => [...c.g, ...c.d].includes(p.id))
    ? decided(complete(id => c.g.includes(id)))
    : undecided()
}

/**
 * The visitor's state; the first call reads the choice cookie and tells the vendors and the
 * dataLayer of a stored decision. A page's first read of document.cookie waits on the browser
 * (4 ms at 1x CPU, 13 at 4x in a cold context here): the largest part of the script's task
 * before the first paint, so it is made only where something can act on it then (start).
 */
function load() {
  if (!state) {
    // If the server refuses a pending decision (below), the cookie's holds.
    state = prior = stored()
    held = prior.purposes
    if (state.decided) {
      vendorsUpdate(state.purposes)
      pushDataLayer(state.purposes)
    }
  }
  return state
}

/** Bring the page in line with the state: gated content, cookies, and which layer shows. */
function render() {
  if (!ready) return
  gate(state.purposes, held)
  clearCookies(state.purposes)
  // Only exempt purposes: nothing to ask, so no banner and no settings button.
  if (cfg._asks) layers(state.decided)
}

/**
 * Adopt a new state and bring the vendors and the page in line (they may have gone ahead of
 * it, for a decision still on its way); if the choice changed, tell the vendors and the page's
 * listeners.
 */
function apply(next) {
  const key = s => JSON.stringify([s.decided, s.purposes])
  const changed = key(next) != key(state)
  state = next
  if (changed) vendorsUpdate(state.purposes)
  render()
  if (changed) emit(state)
}

/**
 * A decision takes effect in the page at once (the vendors' update, rule 20; gated content;
 * events) and goes to the server through the retry queue (same event_id on every attempt).
 * Content marked data-consent-recorded (a tag that calls a @requires_consent endpoint) waits
 * until the server has recorded the decision and set its cookie. A withdrawal is a decision
 * without an `action`: a DELETE, everything refused, undecided.
 */
function decide(choice, action, source) {
  // Only exempt purposes: there is nothing to record.
  if (!cfg._asks) return
  const body = { event_id: uuid(), source, language: cfg.lang, gpc }
  latestId = action && body.event_id
  prior = load()
  // At once, in this order: the vendors, gated content (but what waits for the record), the
  // page and its listeners.
  if (action) {
    body.action = action
    apply({ ...state, decided: true, purposes: (body.purposes = choose(choice)) })
  } else apply(undecided())
  // Kept at once (it survives a reload); sent once the tags it started have loaded, so that
  // neither the browser nor the server has it in the way of their first request (a second
  // at the latest, for a tag that hangs).
  enqueue({ m: action ? 'POST' : 'DELETE', v: cfg.policy_version, b: body })
  let sent
  const send = () => sent || flush((sent = 1))
  idle(send)
  setTimeout(send, 1e3)
}

/**
 * The server refused a decision for good (a 4xx). If it is the latest, what it granted is
 * taken back: the state before it with its refusals still applied, so an undecided visitor is
 * asked again (a script it started cannot be stopped; nothing is stored, so it does not run on
 * the next page). The page hears of it either way (console, consent:error).
 */
function onRefused(err, item) {
  setOffline(false)
  if ((item.o || item.b.event_id) == latestId)
    apply({
      ...prior,
      purposes: complete(id => item.b.purposes[id] === true && prior.purposes[id]),
    })
  refused(err, item)
}

const all = () => complete(() => true)
const CHOICES = { 'accept-all': all, 'reject-all': () => ({}), save: toggles }

/** Every control is a [data-consent-action] element; settings links may be anywhere on the page. */
function onClick(e) {
  const el = e.target.closest?.(`[${ACTION}]`)
  if (!el) return
  const action = el.getAttribute(ACTION)
  if (action == 'settings' || action == 'customize') {
    e.preventDefault()
    return openDialog(load)
  }
  if (CHOICES[action])
    decide(
      CHOICES[action](),
      action.replace('-', '_'),
      el.closest('.csdk-dialog') ? 'settings' : 'banner'
    )
  // A placeholder's button: grant its purposes, keep the others as they are.
  else if (action == 'enable') {
    const choice = { ...load().purposes }
    for (const p of el.getAttribute(PURPOSE).split(' ')) choice[p] = true
    decide(choice, 'save', 'settings')
  } else if (action != 'close') return
  closeDialog()
}

/**
 * `fn` after the page's first paint has been presented: in a task of its own once the browser
 * reports the paint (a `paint` performance entry; every browser the build targets has them).
 * Until then the main thread stays free for that frame, which on a phone's few cores competes
 * with whatever runs next: started right after the frame's rendering instead, the widget's
 * work cost the page's first paint 0.07 more of the page alone at 1x CPU (nothing measurable
 * at 4x), for a banner 20 ms sooner (benchmarks/README.md). A page that paints nothing
 * (hidden, blank, an iframe out of view) gets it in the next task if hidden, else after a
 * second at the latest.
 */
function afterPaint(fn) {
  const go = () => {
    if (fn) setTimeout(fn)
    fn = 0
  }
  doc.hidden ? go() : new PerformanceObserver(go).observe({ type: 'paint', buffered: true })
  setTimeout(go, 1e3)
}

function start(config) {
  Object.assign(cfg, config)
  // Whether any purpose needs consent; a site with only exempt ones has nothing to ask.
  cfg._asks = cfg.purposes.some(p => !p.required)
  // Rule 20: the defaults now, before any gated tag can run; then, where a vendor's consent API
  // or a tag manager's dataLayer is on the page, a returning visitor's stored choice right away,
  // in this task. Otherwise nothing can act on the choice before the gated content does, after
  // the first paint (below), and the page's code gets it on demand (ConsentSDK).
  vendorsDefault(undecided().purposes)
  if (cfg.vendors[0] || window.dataLayer) load()

  // A decision by the page's own code (source "api"): `fixed`, or the choice it passes.
  const api = (action, fixed) => choice => decide(fixed || choice, action, 'api')
  window.ConsentSDK = {
    show: () => openDialog(load),
    acceptAll: api('accept_all', all()),
    rejectAll: api('reject_all', {}),
    save: api('save'),
    withdraw: api('', {}),
    has: purpose => load().purposes[purpose] === true,
    get: () => clone(load()),
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
      recorded(state)
    }
  }, onRefused)

  // Nothing else holds up the page's first paint: a pending decision, the stylesheet, gated
  // content and the banner come after it, in tasks of their own, so that none is long (at 4x
  // CPU the queue's read alone takes a task's worth). A page with a gated iframe gets its
  // placeholder before the first paint, so that nothing moves.
  const pending = () => {
    // A decision the server has not acknowledged yet wins over the (older) stored one: the
    // vendors and the page's listeners hear of it before any gated content starts. Read here,
    // not at start: a page's first localStorage read waits on the browser (a few ms).
    load()
    const last = prune().pop()
    latestId = last?.m == 'POST' && last.b.event_id
    if (last) apply(last.m == 'POST' ? decided(choose(last.b.purposes)) : undecided())
    flush()
  }
  const ui = () => {
    // Texts in the page's language if the server has it (one request, only when it differs).
    const lang = wantedLang()
    Promise.all([
      domReady,
      // The stylesheet, whose text the build put in this script (a constant): no request. An
      // older browser links consent.css beside the script (it has the dialog's rules too) and
      // waits for it, so that nothing is drawn unstyled and then moves.
      // eslint-disable-next-line no-undef
      style(CSS) ||
        new Promise(loaded => {
          const css = h('link', { rel: 'stylesheet', href: here + '/consent.css', nonce })
          css.onload = css.onerror = loaded
          doc.head.append(css)
        }),
      lang &&
        call('/config?lang=' + lang).then(
          c => Object.assign(cfg, c),
          () => {}
        ),
    ]).then(() => {
      ready = 1
      render()
      // Gated content added later (by a framework, AJAX) is handled too: the observer is called
      // once per burst of changes (what gate() itself changes settles at once).
      new MutationObserver(() => gate(state.purposes, held)).observe(doc.body, {
        childList: true,
        subtree: true,
      })
    })
  }
  if (doc.querySelector(`iframe[${GATE}]`)) {
    pending()
    ui()
  } else
    afterPaint(() => {
      pending()
      setTimeout(ui)
    })
}

// consent_banner() links the script with the page language's config bundled in; the bare
// script (a page not built with Flask) asks the API next to it for the config, and the embed
// build (embed.js) asks its site's config in the page's language at once.
/* eslint-disable no-undef */
!EMBED && typeof __CONSENT_CONFIG__ == 'object'
  ? start(__CONSENT_CONFIG__)
  : call('/config' + ((EMBED && '?lang=' + doc.documentElement.lang) || '')).then(start)
