// The page's side of the settings dialog, which is a file of its own (dialog.js): fetched the
// first time a visitor opens it, then kept. A failed fetch is tried again on the next click;
// the banner's Accept all and Reject all never need it.
import { doc, h } from './dom.js'
import { cfg, nonce } from './config.js'
import { fabButton } from './banner.js'

// The loaded dialog ({open, close, toggles}), and the promise of it.
let dialog
let loading

/** Open the dialog on `current()`, the state when it opens (it may change while it loads). */
export function openDialog(current) {
  loading ||= new Promise((ready, failed) => {
    const script = h('script', { src: cfg.dialog, nonce })
    script.onload = () => ready(script.csdk(cfg, fabButton))
    script.onerror = failed
    doc.head.append(script)
  }).then(
    d => (dialog = d),
    () => (loading = 0)
  )
  loading.then(() => dialog?.open(current()))
}

export const closeDialog = () => dialog?.close()

/** {purpose: bool} from the dialog's toggles (only its own Save button asks). */
export const toggles = () => dialog.toggles()
