// Every name the widget shares with the server, the page and the site's tests (docs/design.md).

/** localStorage key of decisions the server has not acknowledged yet. */
export const PENDING_KEY = 'consent_sdk.pending'
/** CustomEvent fired on document after every change; detail = State. */
export const CHANGE_EVENT = 'consent:change'
/** CustomEvent fired on document when the server has recorded every queued decision. */
export const RECORDED_EVENT = 'consent:recorded'
/** CustomEvent fired on document when the server refuses a decision for good (a 4xx). */
export const ERROR_EVENT = 'consent:error'
/** dataLayer event pushed with {purpose: bool} on every change. */
export const DL_EVENT = 'consent_update'

// Attributes: gated content, test hooks, and the purpose a placeholder button enables.
export const GATE = 'data-consent'
export const ACTION = 'data-consent-action'
export const UI = 'data-consent-ui'
export const PURPOSE = 'data-consent-purpose'
/** On gated content that must wait until the server has recorded the decision. */
export const RECORDED = 'data-consent-recorded'

// Everything the widget renders has classes "csdk-…" (and its roots "csdk"): styles/consent.css.

/** The page's document (one name, shared by every module). */
export const doc = document
