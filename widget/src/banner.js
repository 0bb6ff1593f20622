// The first layer (a non-modal, labelled region: the page stays usable, rule 5) and the small
// floating settings button shown once a decision exists (rule 8).
import { ACTION, CLS, UI } from './constants.js'
import { doc, h, root } from './dom.js'
import { cfg, gpc, t } from './config.js'

let banner
let fab
let offline
let isOffline = false

/** A button; every choice button shares one class, so they look and weigh the same (rule 2). */
export const button = (action, key) =>
  h('button', { type: 'button', class: `${CLS}-btn`, [ACTION]: action }, t(key))

/** Accept all / Reject all / Choose: equal buttons, same number of clicks (rule 2). */
export function showBanner() {
  if (banner) return
  banner = root('div', 'banner', {
    [UI]: 'banner',
    role: 'region',
    'aria-labelledby': `${CLS}-bt`,
    'aria-live': 'polite',
  })
  // First in the tab order; filled after insertion so the live region announces it.
  doc.body.prepend(banner)
  // The texts scroll on a small screen; the buttons stay in view (styles/consent.css).
  banner.append(
    h('div', { class: `${CLS}-body` }, [
      h('h2', { id: `${CLS}-bt` }, t('banner_title')),
      h('p', {}, t('banner_text')),
      gpc() && h('p', { class: `${CLS}-note` }, t('gpc_notice')),
      h('p', { class: `${CLS}-small` }, t('controller')),
      h('p', { class: `${CLS}-small` }, [
        h('span', {}, t('withdraw_hint') + ' '),
        cfg.policy_url && h('a', { href: cfg.policy_url }, t('policy_link')),
      ]),
    ]),
    h('div', { class: `${CLS}-btns` }, [
      button('accept-all', 'accept_all'),
      button('reject-all', 'reject_all'),
      button('customize', 'customize'),
    ])
  )
}

/** Remove the banner and show the settings button; keyboard focus moves to it. */
export function hideBanner() {
  const focused = banner?.contains(doc.activeElement)
  banner?.remove()
  banner = null
  showFab()
  if (focused) fabButton().focus()
}

/** The floating "Cookie settings" button, and a status line while a decision is undelivered. */
export function showFab() {
  if (fab) return
  offline = h('p', { class: `${CLS}-small`, role: 'status' })
  setOffline(isOffline)
  fab = root('div', 'fab', { role: 'region', 'aria-label': t('settings') }, [
    button('settings', 'settings'),
    offline,
  ])
  doc.body.append(fab)
}

export function hideFab() {
  fab?.remove()
  fab = null
}

export const fabButton = () => fab?.firstChild

/** Say "saved on this device, will be recorded later" while the server cannot be reached. */
export function setOffline(on) {
  isOffline = on
  if (offline) offline.textContent = on ? t('saved_offline') : ''
}
