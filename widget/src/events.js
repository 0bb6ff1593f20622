// How the page learns about changes: on('change') listeners, a DOM event, a dataLayer event.
import { CHANGE_EVENT, DL_EVENT, ERROR_EVENT, RECORDED_EVENT } from './constants.js'
import { doc } from './dom.js'

const listeners = new Set()

/** The dataLayer array Google's tags and tag managers read (created if missing). */
export const dataLayer = () => (window.dataLayer = window.dataLayer || [])

/** Register fn(state) for every change; returns a function that unregisters it. */
export function on(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** Push {event: "consent_update", consent: {purpose: bool}} for tag managers. */
export const pushDataLayer = purposes =>
  dataLayer().push({ event: DL_EVENT, consent: { ...purposes } })

/** The server has the decision: detail = its State, with consent_id, given_at and expires_at. */
export const recorded = state =>
  doc.dispatchEvent(new CustomEvent(RECORDED_EVENT, { detail: structuredClone(state) }))

/** The server refused a decision for good: tell the console and the page what it said. */
export function refused({ status, body }, { m, b }) {
  console.error(ERROR_EVENT, status, body)
  doc.dispatchEvent(
    new CustomEvent(ERROR_EVENT, { detail: { status, error: body, method: m, decision: b } })
  )
}

/** Tell everyone: listeners (one failing does not stop the others), the DOM, the dataLayer. */
export function emit(state) {
  for (const fn of listeners) {
    try {
      fn(structuredClone(state))
    } catch (err) {
      setTimeout(() => {
        throw err
      })
    }
  }
  doc.dispatchEvent(new CustomEvent(CHANGE_EVENT, { detail: structuredClone(state) }))
  pushDataLayer(state.purposes)
}
