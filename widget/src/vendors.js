// The vendors' consent APIs, as cfg.vendors describes them (docs/design.md, Config): a list of
// {name: "google" | "uet" | "clarity", types: {vendor type: purpose}, default: [calls], update:
// [the call's first arguments]}. The default calls go out while the script starts, before any
// gated tag can run, in the order given; each object argument gets the undecided state of
// every mapped type under it (exempt purposes granted, so a type mapped to one is granted).
// The update call, with the states of the visitor's choice, follows every change, and comes
// right after the defaults for a returning visitor.
import { cfg } from './config.js'
import { dataLayer } from './events.js'

const w = window

// gtag() pushes its Arguments object, exactly as Google's snippet does (tags expect that shape).
function gtag() {
  dataLayer().push(arguments)
}

/** How each vendor is called, before or after its script has loaded. */
const SEND = {
  // Google Consent Mode v2: gtag('consent', 'default' | 'update', {...}), gtag('set', ...).
  google: args => gtag(...args),
  // Microsoft UET: uetq.push('consent', 'default' | 'update', {ad_storage}); an array until
  // UET loads, then UET's own object.
  uet: args => (w.uetq ||= []).push(...args),
  // Microsoft Clarity: clarity('consentv2', {...}); until it loads, its own snippet's stub,
  // which queues the arguments in clarity.q.
  clarity: args =>
    (w.clarity ||= function () {
      ;(w.clarity.q ||= []).push(arguments)
    })(...args),
}

/** {vendor type: granted|denied} for `types` {vendor type: purpose}. */
function states(types, purposes) {
  const out = {}
  for (const type in types) out[type] = purposes[types[type]] ? 'granted' : 'denied'
  return out
}

/** Every vendor's default calls; `purposes` are the undecided ones. */
export const vendorsDefault = purposes =>
  cfg.vendors.map(v => {
    for (const call of v.default)
      SEND[v.name](
        call.map(a => (typeof a == 'object' ? { ...states(v.types, purposes), ...a } : a))
      )
  })

/** Every vendor's update with the visitor's choice (or stored decision). */
export const vendorsUpdate = purposes =>
  cfg.vendors.map(v => SEND[v.name]([...v.update, states(v.types, purposes)]))
