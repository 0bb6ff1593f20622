// The consent HTTP API (prefix cfg.api, default /consent).
import { cfg, choiceCookie } from './config.js'

/**
 * The embed build's request to the consent service (docs/EMBED.md): no cookie goes with it
 * (the service keeps none, and third-party cookies are blocked anyway); the signed record of
 * the visitor's choice on this site goes in a header instead. A GET sends no header at all, so
 * the config needs no CORS preflight.
 */
function embedded(method, body, attempt) {
  const record = choiceCookie()?.r
  return {
    method,
    credentials: 'omit',
    headers: body
      ? {
          'Content-Type': 'application/json',
          'Consent-Attempt': attempt,
          ...(record && { 'Consent-Record': record }),
        }
      : {},
    body: JSON.stringify(body),
  }
}

/**
 * A JSON request to `${api}${path}` (GET unless `method`). Resolves with the parsed body;
 * rejects with {status, body} (body = the server's JSON error, or null) or the network error.
 * `attempt`: failed deliveries before this one, told to the server for its metrics.
 */
export async function call(path, method, body, attempt = 0) {
  const res = await fetch(
    cfg.api + path,
    // eslint-disable-next-line no-undef
    (EMBED && embedded(method, body, attempt)) || {
      method,
      headers: { 'Content-Type': 'application/json', 'Consent-Attempt': attempt },
      body: JSON.stringify(body),
    }
  )
  if (!res.ok) throw { status: res.status, body: await res.json().catch(() => null) }
  return res.json()
}

/** Worth retrying: the network failed, the server is down or busy. Other 4xx will not change. */
export const retryable = ({ status: s }) => !s || s > 499 || s == 408 || s == 429

/**
 * Count one page view that showed the banner (POST /impressions). Plain text, so no CORS
 * preflight; no cookie goes with it (credentials: 'omit', which sendBeacon cannot do) and none
 * comes back; keepalive, so it is not lost if the visitor leaves at once. Fire and forget, in a
 * task after the banner's: starting a fetch takes a few ms (10 at 4x CPU here). Truthy.
 */
export const impression = () =>
  setTimeout(() =>
    fetch(cfg.api + '/impressions', {
      method: 'POST',
      body: JSON.stringify({ language: cfg.lang, policy_version: cfg.policy_version }),
      credentials: 'omit',
      keepalive: true,
    }).catch(() => {})
  )
