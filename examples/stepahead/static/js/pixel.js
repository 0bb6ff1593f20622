/* StepAhead's advertising "pixel", wired like a Meta/Google Ads pixel: activated by
 * consent_sdk only with marketing consent (data-consent="marketing"), it keeps a cookie
 * `_sa_mkt` and requests an image from /pixel, which the server also gates. */
(function () {
  'use strict';
  var sa = (window.stepahead = window.stepahead || {});
  sa.ran = sa.ran || [];
  if (sa.pixelRan) return;
  sa.pixelRan = true;

  if (document.cookie.split('; ').every(function (c) { return c.indexOf('_sa_mkt=') !== 0; })) {
    var bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes);
    var id = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    document.cookie = '_sa_mkt=' + id + '; Max-Age=' + 60 * 60 * 24 * 90 + '; Path=/; SameSite=Lax';
  }

  var entry = { tag: 'pixel', purpose: 'marketing', at: new Date().toISOString(), status: 'waiting' };
  sa.ran.push(entry);
  document.dispatchEvent(new CustomEvent('stepahead:ran', { detail: entry }));

  function done(status) {
    entry.status = status;
    document.dispatchEvent(new CustomEvent('stepahead:ran', { detail: entry }));
  }

  // consent_sdk activates this tag only once the server holds the decision (the consent
  // cookie is set), so the server-side gate on /pixel lets it through.
  var img = new Image(1, 1);
  img.onload = function () { done('loaded'); };
  img.onerror = function () { done('refused'); };
  img.src = '/pixel?ev=PageView&p=' + encodeURIComponent(window.location.pathname) + '&t=' + Date.now();
})();
