// Google Consent Mode v2: the default before any tag can run, an update after every choice.
import { cfg } from './config.js'
import { dataLayer } from './events.js'

// gtag() pushes its Arguments object, exactly as Google's snippet does (tags expect that shape).
function gtag() {
  dataLayer().push(arguments)
}

/** {consent type: granted|denied} from cfg.consent_mode ({type: purpose}). */
const types = purposes => {
  const out = {}
  for (const type in cfg.consent_mode)
    out[type] = purposes[cfg.consent_mode[type]] ? 'granted' : 'denied'
  return out
}

/** Every mapped type denied; security storage is strictly necessary and granted. */
export function cmDefault() {
  if (cfg.consent_mode) gtag('consent', 'default', { ...types({}), security_storage: 'granted' })
}

/** The visitor's choice (or stored decision) for every mapped type. */
export function cmUpdate(purposes) {
  if (cfg.consent_mode) gtag('consent', 'update', types(purposes))
}
