// The first layer (a non-modal, labelled region: the page stays usable, rule 5) and the small
// floating settings button shown once a decision exists (rule 8).
import { button, doc, h, hc, root } from './dom.js'
import { cfg, gpc, t } from './config.js'
import { impression } from './api.js'

let banner
let fab
let offline
let isOffline
// Whether this page view's impression is settled: counted, or not to be (decided at first).
let counted

/** The three choices of a layer: equal buttons, same number of clicks (rule 2). */
export const buttons = last =>
  hc(
    'div',
    'btns',
    button('accept-all', t('accept_all')),
    button('reject-all', t('reject_all')),
    button(last, t(last))
  )

/**
 * Which layer shows: undecided, the banner (the settings button goes); decided, the settings
 * button (the banner goes, and the keyboard focus moves from it to the button).
 */
export function layers(decided) {
  // The first time a layer shows: a visitor not decided (new, or asked again after a policy
  // change) sees the banner, and the page view counts once. A page view that began decided
  // never counts, not even after a withdrawal; the settings dialog never does.
  counted ||= decided || impression()
  const focused = banner?.contains(doc.activeElement)
  banner = decided ? banner?.remove() : banner || showBanner()
  fab = decided ? fab || showFab() : fab?.remove()
  if (focused && fab) fabButton().focus()
}

/** Accept all / Reject all / Choose, with who asks, how to withdraw and the policy link. */
function showBanner() {
  const banner = root('div', 'banner', {
    role: 'region',
    'aria-label': t('banner_title'),
    'aria-live': 'polite',
  })
  // First in the tab order; filled after insertion so the live region announces it.
  doc.body.prepend(banner)
  // The texts scroll on a small screen; the buttons stay in view (styles/consent.css).
  banner.append(
    hc(
      'div',
      'body',
      h('h2', {}, t('banner_title')),
      h('p', {}, t('banner_text')),
      gpc && hc('p', 'note', t('gpc_notice')),
      hc('p', 'small', t('controller')),
      hc(
        'p',
        'small',
        t('withdraw_hint') + ' ',
        cfg.policy_url && h('a', { href: cfg.policy_url }, t('policy_link'))
      )
    ),
    buttons('customize')
  )
  return banner
}

/** The floating "Cookie settings" button, and a status line while a decision is undelivered. */
function showFab() {
  offline = h('p', { class: 'csdk-small', role: 'status' })
  const fab = root(
    'div',
    'fab',
    { role: 'region', 'aria-label': t('settings') },
    button('settings', t('settings')),
    offline
  )
  setOffline(isOffline)
  doc.body.append(fab)
  return fab
}

export const fabButton = () => fab?.firstChild

/** Say "saved on this device, will be recorded later" while the server cannot be reached. */
export function setOffline(on) {
  isOffline = on
  if (offline) offline.textContent = on ? t('saved_offline') : ''
}
