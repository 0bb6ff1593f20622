// How the page learns about changes: on('change') listeners, DOM events, a dataLayer event.
import { CHANGE_EVENT, DL_EVENT, ERROR_EVENT, RECORDED_EVENT } from './constants.js'
import { doc } from './dom.js'

const listeners = new Set()
/** A copy for each listener and event (a State is plain JSON). */
export const clone = s => JSON.parse(JSON.stringify(s))

/** The dataLayer array Google's tags and tag managers read (created if missing). */
export const dataLayer = () => (window.dataLayer ||= [])

/** A CustomEvent on document. */
const fire = (type, detail) => doc.dispatchEvent(new CustomEvent(type, { detail }))

/** Register fn(state) for every change; returns a function that unregisters it. */
export function on(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** Push {event: "consent_update", consent: {purpose: bool}} for tag managers. */
export const pushDataLayer = purposes =>
  dataLayer().push({ event: DL_EVENT, consent: { ...purposes } })

/** The server has the decision: detail = its State, with given_at and expires_at (no consent id). */
export const recorded = state => fire(RECORDED_EVENT, clone(state))

/** The server refused a decision for good: tell the console and the page what it said. */
export function refused({ status, body }, { m, b }) {
  console.error(ERROR_EVENT, status, body)
  fire(ERROR_EVENT, { status, error: body, method: m, decision: b })
}

/** Tell everyone: listeners (one failing does not stop the others), the DOM, the dataLayer. */
export function emit(state) {
  for (const fn of listeners) {
    try {
      fn(clone(state))
    } catch (err) {
      reportError(err)
    }
  }
  fire(CHANGE_EVENT, clone(state))
  pushDataLayer(state.purposes)
}
