// Delivery of decisions to the server: a queue in localStorage that survives a reload.
// Written only after a decision (rule 1), emptied as the server acknowledges each one.
import { PENDING_KEY } from './constants.js'
import { call, retryable } from './api.js'
import { cfg } from './config.js'

const MAX_DELAY = 60000

function stored() {
  try {
    return JSON.parse(localStorage.getItem(PENDING_KEY)) || []
  } catch {
    return []
  }
}

/**
 * This app's pending items, oldest first: {a: API, m: method, v: policy version, b: Decision
 * body with event_id}. Storage is shared by every app on the host; each sends only its own.
 */
export const pending = () => stored().filter(i => i.a == cfg.api)

function keep(items) {
  const all = [...stored().filter(i => i.a && i.a != cfg.api), ...items]
  try {
    all.length
      ? localStorage.setItem(PENDING_KEY, JSON.stringify(all))
      : localStorage.removeItem(PENDING_KEY)
  } catch {
    // Storage disabled: the decision still applies to this page; it is retried while it lives.
    memory = items
  }
}

let memory = null
const items = () => memory || pending()

let onResult = () => {}
let onRefused
let busy = false
let attempt = 0
let timer

/**
 * Set the callbacks: fn(State, done) after each acknowledged item, fn(null) after a failed
 * attempt, refused({status, body}, item) when the server refuses an item for good.
 */
export function listen(fn, refused) {
  onResult = fn
  onRefused = refused
}

/** Queue a decision and try to deliver it now. */
export function enqueue(item) {
  keep([...items(), { ...item, a: cfg.api }])
  attempt = 0
  clearTimeout(timer)
  flush()
}

/** Forget queued items recorded under another policy version (they no longer apply). */
export function prune(version) {
  const all = items()
  const kept = all.filter(i => i.v == version)
  if (kept.length != all.length) keep(kept)
  return kept
}

/** Send the oldest item; on success the next, on a retryable failure again after a backoff. */
export async function flush() {
  const [item] = items()
  if (busy || !item) return
  busy = true
  let next = true
  const drop = () => keep(items().filter(i => i.b.event_id != item.b.event_id))
  try {
    const state = await call('/state', item.m, item.b)
    // Another tab may have delivered or queued items meanwhile: re-read before removing ours.
    drop()
    attempt = 0
    onResult(state, !items().length)
  } catch (err) {
    if (retryable(err)) {
      next = false
      timer = setTimeout(flush, Math.min(1000 * 2 ** attempt++, MAX_DELAY))
      onResult(null)
    } else {
      // A 4xx other than 408/429 will never succeed: drop it rather than retry for ever, and
      // say so (never fail silently).
      drop()
      onRefused(err, item)
    }
  }
  busy = false
  if (next) flush()
}
