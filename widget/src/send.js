// The widget's delivery of decisions as a file of its own (consent-send.js): store.js loads it
// the first time a page has a decision to send, so that a page view that sends nothing (most
// of them: a returning visitor's) does not download it. No texts, one file for every language.
import { doc } from './constants.js'
import { cfg } from './config.js'
import { delivery } from './delivery.js'

/**
 * Handed to the page's widget (on this script's element, not on window): given its config and
 * its queue, the function that sends the queue.
 */
doc.currentScript.csdk = (main, queue) => (Object.assign(cfg, main), delivery(queue))
