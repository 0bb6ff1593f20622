// Decisions on their way to the server: a queue in localStorage that survives a reload.
// Written only after a decision (rule 1), emptied as the server acknowledges each one. What
// sends it (delivery.js) is a file of its own, loaded when there is something to send.
import { PENDING_KEY } from './constants.js'
import { cfg } from './config.js'
import { load } from './dom.js'
import { delivery } from './delivery.js'

/** Every app's items (storage is shared by every app on the host); [] if none or unreadable. */
function stored() {
  try {
    return JSON.parse(localStorage[PENDING_KEY]) || []
  } catch {
    return []
  }
}

/** A new event id (crypto.randomUUID, or a blob URL's uuid where it is missing). */
export const uuid = () => crypto.randomUUID?.() || URL.createObjectURL(new Blob()).slice(-36)

let memory
/**
 * This app's pending items, oldest first: {a: API, m: method, v: policy version, b: Decision
 * body with event_id, o: the event id it had before a conflict renewed it}. Each app sends
 * only its own. Storage disabled: the ones in memory.
 */
const items = () => memory || stored().filter(i => i.a == cfg.api)

function keep(mine) {
  const all = [...stored().filter(i => i.a && i.a != cfg.api), ...mine]
  try {
    all.length
      ? (localStorage[PENDING_KEY] = JSON.stringify(all))
      : localStorage.removeItem(PENDING_KEY)
  } catch {
    // Storage disabled: the decision still applies to this page; it is retried while it lives.
    memory = mine
  }
}

/** What delivery.js works on: this page's queue and the widget's callbacks (listen). */
let queue

/**
 * Set the callbacks: result(State, done) after each acknowledged item, result(null) after a
 * failed attempt, refused({status, body}, item) when the server refuses an item for good.
 */
export const listen = (result, refused) => (queue = { items, keep, uuid, result, refused })

/** Queue a decision (send() delivers it). */
export const enqueue = item => keep([...items(), { ...item, a: cfg.api }])

/** Forget queued items recorded under another policy version (they no longer apply). */
export function prune() {
  const kept = items().filter(i => i.v == cfg.policy_version)
  keep(kept)
  return kept
}

let flush
let loading

/**
 * Send the queue; `fresh`: a new decision, which goes at once, not after a retry's backoff.
 * Through delivery.js, a file of its own (consent-send.js) loaded the first time there is
 * something to send: most page views (a returning visitor's) send nothing. A failed load is a
 * failed attempt (the page shows it is offline), tried again 5 s later; the queue keeps the
 * decision meanwhile. The embed build carries delivery.js.
 */
export const send =
  // eslint-disable-next-line no-undef
  (EMBED && (fresh => (flush ||= delivery(queue))(fresh))) ||
  function send(fresh) {
    loading ||= load(cfg.send).then(
      init => (flush = init(cfg, queue)),
      () => {
        loading = 0
        queue.result(null)
        setTimeout(send, 5e3)
      }
    )
    loading.then(() => flush?.(fresh))
  }
