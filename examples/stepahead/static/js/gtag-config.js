/* The site's Google tag configuration: what would be the inline snippet next to gtag.js.
 * Kept in a file because the site's CSP allows no inline script. consent_sdk's block runs
 * before this file and has already pushed Consent Mode's default (all denied). */
(function () {
  'use strict';
  window.dataLayer = window.dataLayer || [];
  if (typeof window.gtag !== 'function') {
    window.gtag = function gtag() { window.dataLayer.push(arguments); };
  }
  window.gtag('js', new Date());
  window.gtag('config', 'G-STEPAHEAD');
})();
