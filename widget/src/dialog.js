// The settings dialog as a file of its own (consent-dialog.js?lang=xx): the page's widget
// loads it the first time a visitor opens the dialog (lazy.js), so a first visit, which mostly
// ends with Accept all or Reject all on the banner, does not download it. The server bundles
// what only the dialog shows, in one language: the purposes' descriptions and legal bases, the
// cookies of the required ones, the dialog's texts and the receipt link (docs/design.md); the
// build puts the dialog's stylesheet in this script.
import { doc } from './constants.js'
import { style } from './dom.js'
import { cfg } from './config.js'
import { closeDialog, openDialog, toggles } from './preferences.js'

// eslint-disable-next-line no-undef
const own = __CONSENT_DIALOG__

/**
 * Handed to the page's widget (on this script's element, not on window): given its config and
 * its settings button, applies the dialog's stylesheet and returns the dialog.
 */
doc.currentScript.csdk = (main, fab) => {
  // eslint-disable-next-line no-undef
  style(CSS)
  return {
    // The page's config as it is now (its language may have changed since); what the server
    // bundled here fills in what the page's bundle leaves out.
    open(state) {
      Object.assign(cfg, main, {
        texts: { ...own.texts, ...main.texts },
        purposes: main.purposes.map(p => ({ ...own.purposes[p.id], ...p })),
        receipt_url: own.receipt_url,
      })
      openDialog(state, fab)
    },
    close: closeDialog,
    toggles,
  }
}
