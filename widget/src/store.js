// Delivery of decisions to the server: a queue in localStorage that survives a reload.
// Written only after a decision (rule 1), emptied as the server acknowledges each one.
import { PENDING_KEY } from './constants.js'
import { call, retryable } from './api.js'
import { cfg } from './config.js'

/** Every app's items (storage is shared by every app on the host); [] if none or unreadable. */
function stored() {
  try {
    return JSON.parse(localStorage[PENDING_KEY]) || []
  } catch {
    return []
  }
}

/**
 * This app's pending items, oldest first: {a: API, m: method, v: policy version, b: Decision
 * body with event_id, o: the event id it had before a conflict renewed it}. Each app sends only its own. Storage disabled: the ones in memory.
 */
/** A new event id (crypto.randomUUID, or a blob URL's uuid where it is missing). */
export const uuid = () => crypto.randomUUID?.() || URL.createObjectURL(new Blob()).slice(-36)

let memory
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

let onResult
let onRefused
let busy
let attempt = 0

/**
 * Set the callbacks: fn(State, done) after each acknowledged item, fn(null) after a failed
 * attempt, refused({status, body}, item) when the server refuses an item for good.
 */
export function listen(fn, refused) {
  onResult = fn
  onRefused = refused
}

/** Queue a decision (flush() delivers it). */
export function enqueue(item) {
  keep([...items(), { ...item, a: cfg.api }])
  // A new decision goes at the next flush(), not after a backoff (a retry timer still pending
  // finds the queue busy or empty).
  attempt = 0
}

/** Forget queued items recorded under another policy version (they no longer apply). */
export function prune() {
  const kept = items().filter(i => i.v == cfg.policy_version)
  keep(kept)
  return kept
}

/** Send the oldest item; on success the next, on a retryable failure again after a backoff. */
export async function flush() {
  const [item] = items()
  if (busy || !item) return
  busy = 1
  // Another tab may have delivered or queued items meanwhile: re-read before removing ours.
  const drop = () => keep(items().filter(i => i.b.event_id != item.b.event_id))
  try {
    const state = await call('/state', item.m, item.b, attempt)
    // The embed build keeps the service's signed record of the decision on the page's own site
    // (the cookie string is the service's; a withdrawal's removes it).
    // eslint-disable-next-line no-undef
    EMBED && ((document.cookie = state.record), delete state.record)
    drop()
    attempt = 0
    onResult(state, !items().length)
  } catch (err) {
    busy = 0
    if (retryable(err)) {
      setTimeout(flush, Math.min(1e3 * 2 ** attempt++, 6e4))
      return onResult(null)
    }
    // Our own event id is taken: an earlier delivery was stored but its answer (and cookie)
    // was lost, and without the cookie the server cannot tell us from someone replaying the
    // id. The same decision goes once more as a new event (the first record stays, unlinked).
    if (err.body?.error == 'event_id_conflict' && !item.o) {
      const id = item.b.event_id
      keep(items().map(i => (i.b.event_id == id ? { ...i, o: id, b: { ...i.b, event_id: uuid() } } : i)))
      return flush()
    }
    // A 4xx other than 408/429 will never succeed: drop it rather than retry for ever, and
    // say so (never fail silently).
    drop()
    onRefused(err, item)
  }
  busy = 0
  flush()
}
