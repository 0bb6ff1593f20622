/* The debug panel (?debug=1): the visitor's consent state, Google Consent Mode as the gtag
 * stand-in sees it, every gtag/dataLayer call in order, what ran and what is still blocked.
 * Text only (textContent), refreshed on every consent, tag or gtag event. */
(function () {
  'use strict';

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function fill(list, items) {
    if (!list) return;
    list.replaceChildren.apply(list, items.length ? items : [el('li', '—', 'muted')]);
  }

  function pairs(dl, obj) {
    if (!dl) return;
    var nodes = [];
    Object.keys(obj).forEach(function (key) {
      nodes.push(el('dt', key));
      var value = obj[key];
      var shown = typeof value === 'object' && value !== null
        ? Object.keys(value).map(function (k) { return k + ': ' + value[k]; }).join('\n')
        : String(value);
      nodes.push(el('dd', shown));
    });
    dl.replaceChildren.apply(dl, nodes);
  }

  function state() {
    return window.ConsentSDK && typeof window.ConsentSDK.get === 'function' ? window.ConsentSDK.get() : null;
  }

  function describe(node) {
    var name = node.getAttribute('data-tag') || node.id || node.getAttribute('data-src') || node.getAttribute('src') || node.tagName.toLowerCase();
    return node.tagName.toLowerCase() + ' ' + name + ' [' + node.getAttribute('data-consent') + ']';
  }

  function render() {
    var s = state() || {};
    pairs($('debug-state'), {
      decided: !!s.decided,
      // The API never tells scripts the consent id (it stays in the HttpOnly cookie): the
      // time the server recorded the decision is what shows it arrived.
      given_at: s.given_at || '—',
      policy_version: s.policy_version || '—',
      purposes: s.purposes || {},
    });

    var gtm = window.gtagStandIn;
    pairs($('debug-gcm'), gtm ? gtm.consent : { status: 'gtag.js stand-in not loaded' });

    var log = (window.stepahead && window.stepahead.ran) || [];
    var ran = log.map(function (r) {
      return el('li', r.tag + ' [' + r.purpose + '] ' + r.status);
    });
    var started = log.map(function (r) { return r.tag; });
    var blocked = [];
    Array.prototype.forEach.call(document.querySelectorAll('[data-consent]'), function (node) {
      if (node.closest('#debug-panel')) return;
      var inert = node.tagName === 'SCRIPT' ? node.type === 'text/plain'
        : node.tagName === 'IFRAME' ? !node.getAttribute('src') || node.getAttribute('src') === 'about:blank'
        : false;
      if (inert) blocked.push(el('li', describe(node)));
      else if (node.tagName === 'IFRAME') ran.push(el('li', describe(node) + ' loaded'));
      else if (started.indexOf(node.getAttribute('data-tag')) < 0) {
        ran.push(el('li', describe(node) + ' activated, loading'));
      }
    });
    fill($('debug-ran'), ran);
    fill($('debug-blocked'), blocked);

    var calls = gtm ? gtm.calls.map(function (c) {
      return el('li', (c.queued ? '(queued) ' : '') + c.command + ' ' + JSON.stringify(c.args), 'call-' + c.command);
    }) : [];
    fill($('debug-gtag'), calls);
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.setTimeout(function () { pending = false; render(); }, 50);
  }

  // consent:recorded brings the consent id with the server's answer.
  ['consent:change', 'consent:recorded', 'stepahead:ran', 'gtag-standin:call'].forEach(function (name) {
    document.addEventListener(name, schedule);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', schedule);
  else schedule();
  window.addEventListener('load', schedule);
})();
