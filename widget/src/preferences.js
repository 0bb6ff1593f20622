// The second layer: a modal dialog listing every purpose (rules 3, 6, 7, 17).
import { ACTION, CLS, PURPOSE, UI } from './constants.js'
import { $$, doc, h, root } from './dom.js'
import { anyChoice, cfg, t } from './config.js'
import { button, fabButton } from './banner.js'

const FOCUSABLE = 'button,a[href],input:not([disabled])'
let dialog
let opener

/** Open the dialog; toggles show only what the visitor chose (off before any decision, rule 3). */
export function openDialog(state) {
  if (dialog) return
  opener = doc.activeElement
  dialog = root(
    'dialog',
    'dialog',
    {
      [UI]: 'dialog',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': `${CLS}-dt`,
    },
    [
      h('h2', { id: `${CLS}-dt` }, t('dialog_title')),
      h(
        'button',
        { type: 'button', class: `${CLS}-x`, [ACTION]: 'close', 'aria-label': t('close') },
        '×'
      ),
      h('p', {}, t('dialog_text')),
      ...cfg.purposes.map(p => purpose(p, state)),
      // With only exempt purposes the dialog just informs: the close button is the only control.
      anyChoice() &&
        h('div', { class: `${CLS}-btns` }, [
          button('accept-all', 'accept_all'),
          button('reject-all', 'reject_all'),
          button('save', 'save'),
        ]),
    ]
  )
  dialog.addEventListener('keydown', onKey)
  // However it closes, nothing is decided by closing (rule 4); the banner is still there if the
  // visitor has not chosen. (Fallback for a close the browser does on its own.)
  dialog.addEventListener('close', e => e.target == dialog && cleanup())
  doc.body.append(dialog)
  dialog.showModal()
  $$(FOCUSABLE, dialog)[0].focus()
}

/** One purpose: its toggle (or "always on"), description, legal basis and cookies. */
function purpose(p, state) {
  const id = `${CLS}-p-${p.id}`
  const input = h('input', { type: 'checkbox', id, [PURPOSE]: p.id })
  input.checked = p.required || (state.decided && state.purposes[p.id] === true)
  input.disabled = p.required
  return h('div', { class: `${CLS}-purpose` }, [
    h('div', { class: `${CLS}-row` }, [
      input,
      h('label', { for: id }, p.label),
      p.required && h('span', { class: `${CLS}-small` }, t('always_on')),
    ]),
    h('p', {}, p.description),
    h('p', { class: `${CLS}-small` }, `${t('basis_label')}: ${t('basis_' + p.basis)}`),
    p.cookies.length > 0 &&
      h('p', { class: `${CLS}-small` }, `${t('cookies_label')}: ${p.cookies.join(', ')}`),
  ])
}

/** {purpose: bool} from the toggles. */
export const toggles = () =>
  Object.fromEntries($$(`input[${PURPOSE}]`, dialog).map(i => [i.getAttribute(PURPOSE), i.checked]))

/** Close, remove, and give the focus back to whatever opened it (or the settings button). */
export function closeDialog() {
  if (dialog) cleanup()
}

function cleanup() {
  dialog.close()
  dialog.remove()
  dialog = null
  ;(opener?.isConnected && opener != doc.body ? opener : fabButton())?.focus()
}

/** Escape closes at once; Tab and Shift+Tab stay inside the dialog. */
function onKey(e) {
  if (e.key == 'Escape') {
    e.preventDefault()
    closeDialog()
  }
  if (e.key != 'Tab') return
  const all = $$(FOCUSABLE, dialog)
  const edge = e.shiftKey ? all[0] : all[all.length - 1]
  if (doc.activeElement == edge) {
    e.preventDefault()
    ;(e.shiftKey ? all[all.length - 1] : all[0]).focus()
  }
}
