// The consent HTTP API (prefix cfg.api, default /consent).
import { cfg } from './config.js'

/**
 * A JSON request to `${api}${path}`. Resolves with the parsed body; rejects with the HTTP
 * status (a number) or with the network error.
 */
export async function call(path, method = 'GET', body) {
  const res = await fetch(cfg.api + path, {
    method,
    credentials: 'same-origin',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body && JSON.stringify(body),
  })
  if (!res.ok) throw res.status
  return res.json()
}

/** Worth retrying: the network failed, the server is down or busy. Other 4xx will not change. */
export const retryable = err => typeof err != 'number' || err >= 500 || err == 408 || err == 429
