// Delivery of queued decisions to the server (store.js keeps the queue): the oldest first, the
// next on success, again after a backoff when the network or the server fails. In the widget's
// build it is a file of its own (send.js), loaded the first time there is something to send.
import { call, retryable } from './api.js'

/**
 * flush(fresh) over the page's queue `q` ({items, keep, uuid, result, refused}, store.js): send
 * the oldest item; on success the next, on a retryable failure again after a backoff. `fresh`:
 * a new decision, which goes now and resets the backoff (a retry timer still pending finds the
 * queue busy or empty).
 */
export function delivery(q) {
  let busy
  let attempt = 0
  async function flush(fresh) {
    if (fresh) attempt = 0
    const [item] = q.items()
    if (busy || !item) return
    busy = 1
    // Another tab may have delivered or queued items meanwhile: re-read before removing ours.
    const drop = () => q.keep(q.items().filter(i => i.b.event_id != item.b.event_id))
    try {
      const state = await call('/state', item.m, item.b, attempt)
      // The embed build keeps the service's signed record of the decision on the page's own
      // site (the cookie string is the service's; a withdrawal's removes it).
      // eslint-disable-next-line no-undef
      EMBED && ((document.cookie = state.record), delete state.record)
      drop()
      attempt = 0
      q.result(state, !q.items().length)
    } catch (err) {
      busy = 0
      if (retryable(err)) {
        setTimeout(flush, Math.min(1e3 * 2 ** attempt++, 6e4))
        return q.result(null)
      }
      // Our own event id is taken: an earlier delivery was stored but its answer (and cookie)
      // was lost, and without the cookie the server cannot tell us from someone replaying the
      // id. The same decision goes once more as a new event (the first record stays, unlinked).
      if (err.body?.error == 'event_id_conflict' && !item.o) {
        const id = item.b.event_id
        q.keep(
          q.items().map(i => (i.b.event_id == id ? { ...i, o: id, b: { ...i.b, event_id: q.uuid() } } : i))
        )
        return flush()
      }
      // A 4xx other than 408/429 will never succeed: drop it rather than retry for ever, and
      // say so (never fail silently).
      drop()
      q.refused(err, item)
    }
    busy = 0
    flush()
  }
  return flush
}
