// The second layer: a modal dialog listing every purpose (rules 3, 6, 7, 17). Part of the
// dialog file (dialog.js), which the page loads when a visitor first opens it (lazy.js).
import { PURPOSE } from './constants.js'
import { $$, button, doc, h, hc, root } from './dom.js'
import { cfg, t } from './config.js'
import { buttons } from './banner.js'

// Its buttons and the toggles that can be switched (not the disabled "always on" ones).
const FOCUSABLE = ':enabled'
let dialog
let opener
// The page's floating settings button (its widget file owns it): the focus goes there last.
let fabButton

/**
 * Open the dialog; toggles show only what the visitor chose (off before any decision, rule 3).
 * `fab` gives the floating settings button, if there is one.
 */
export function openDialog(state, fab) {
  fabButton = fab
  if (dialog) return
  opener = doc.activeElement
  dialog = root(
    'dialog',
    'dialog',
    {
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': 'csdk-dt',
    },
    // First (it floats to the top right corner), and focused by showModal().
    button('close', '×', { class: 'csdk-x', 'aria-label': t('close'), autofocus: '' }),
    h('h2', { id: 'csdk-dt' }, t('dialog_title')),
    h('p', {}, t('dialog_text')),
    ...cfg.purposes.map(p => purpose(p, state)),
    // What they decided, signed: a page of its own (it names their consent id, never shown here).
    state.decided &&
      cfg.texts.receipt_link &&
      hc('p', 'small', h('a', { href: cfg.receipt_url }, t('receipt_link'))),
    // With only exempt purposes the dialog just informs: the close button is the only control.
    cfg._asks && buttons('save')
  )
  dialog.onkeydown = onKey
  // However it closes (the close button, Escape, a choice), nothing is decided by closing
  // (rule 4); the banner is still there if the visitor has not chosen. Escape fires `cancel`
  // at once (the `close` that follows comes later), so the dialog goes at once.
  dialog.oncancel = dialog.onclose = e => e.target == dialog && closeDialog()
  doc.body.append(dialog)
  dialog.showModal()
}

/** One purpose: its toggle (or "always on"), description, legal basis and cookies. */
function purpose(p, state) {
  const id = 'csdk-p-' + p.id
  const input = h('input', { type: 'checkbox', id, [PURPOSE]: p.id })
  // Undecided: only the exempt ones (always granted) are on.
  input.checked = state.purposes[p.id]
  input.disabled = p.required
  return hc(
    'div',
    'purpose',
    h(
      'div',
      {},
      input,
      h('label', { for: id }, p.label),
      p.required && hc('span', 'small', t('always_on'))
    ),
    h('p', {}, p.description),
    hc('p', 'small', `${t('basis_label')}: ${t('basis_' + p.basis)}`),
    p.cookies.length && hc('p', 'small', `${t('cookies_label')}: ${p.cookies.join(', ')}`)
  )
}

/** {purpose: bool} from the toggles. */
export const toggles = () =>
  Object.fromEntries($$(`input[${PURPOSE}]`, dialog).map(i => [i.getAttribute(PURPOSE), i.checked]))

/** Close, remove, and give the focus back to whatever opened it (or the settings button). */
export function closeDialog() {
  if (!dialog) return
  const d = dialog
  dialog = null
  d.close()
  d.remove()
  ;(opener?.isConnected && opener != doc.body ? opener : fabButton())?.focus()
}

/** Tab and Shift+Tab stay inside the dialog (Escape is the browser's: it closes the dialog). */
function onKey(e) {
  const all = $$(FOCUSABLE, dialog)
  // From the edge the focus would leave by, to the other end.
  const edge = e.shiftKey ? 0 : all.length - 1
  if (e.key == 'Tab' && doc.activeElement == all[edge]) {
    e.preventDefault()
    all[all.length - 1 - edge].focus()
  }
}
