/* StepAhead's first-party page-view tracker, wired like a real analytics tag: it runs only
 * when consent_sdk activates it (data-consent="analytics"), keeps a visitor cookie `_sa_id`,
 * and reports the page view to /analytics/collect, which the server also gates. */
(function () {
  'use strict';
  var sa = (window.stepahead = window.stepahead || {});
  sa.ran = sa.ran || [];
  if (sa.trackerRan) return;
  sa.trackerRan = true;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split('; ') : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf('=');
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  var visitor = readCookie('_sa_id');
  var isNew = !visitor;
  if (isNew) {
    visitor = randomId();
    // 13 months at most (CNIL); SameSite=Lax, first-party only.
    document.cookie = '_sa_id=' + visitor + '; Max-Age=' + 60 * 60 * 24 * 390 + '; Path=/; SameSite=Lax';
  }

  var entry = { tag: 'tracker', purpose: 'analytics', at: new Date().toISOString(), status: 'waiting' };
  sa.ran.push(entry);
  document.dispatchEvent(new CustomEvent('stepahead:ran', { detail: entry }));

  // consent_sdk activates this tag only once the server holds the decision (the consent
  // cookie is set), so the server-side gate on /analytics/collect lets it through.
  function send() {
    window.fetch('/analytics/collect', {
    method: 'POST',
    credentials: 'same-origin',
    keepalive: true,
    headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: window.location.pathname, new_visitor: isNew }),
    }).then(function (response) {
      entry.status = String(response.status);
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (body) sa.pageViews = body.count;
      document.dispatchEvent(new CustomEvent('stepahead:ran', { detail: entry }));
    }).catch(function () {
      entry.status = 'failed';
    });
  }

  send();
})();
