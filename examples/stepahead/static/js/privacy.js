/* Keeps "Your choice" on the privacy page in step with the widget: after the visitor saves
 * new settings, the choices update at once, and the dates and the history of records once
 * the server has recorded the decision, without a reload. The consent id is rendered by the
 * server only: the API never tells scripts (an injected one included) what it is. */
(function () {
  'use strict';
  var root = document.getElementById('your-consent');
  if (!root) return;
  var sa = window.stepahead || {};

  function when(value) {
    return value ? new Date(value).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '';
  }

  function update(state) {
    if (!state) return;
    var granted = root.getAttribute('data-text-granted');
    var refused = root.getAttribute('data-text-refused');
    root.querySelector('.consent-none').hidden = !!state.decided;
    root.querySelector('.consent-facts').hidden = !state.decided;
    ['policy_version', 'given_at', 'expires_at'].forEach(function (field) {
      var el = root.querySelector('[data-consent-field="' + field + '"]');
      if (!el) return;
      var value = state[field] || '';
      el.textContent = field.slice(-3) === '_at' ? when(value) : value;
    });
    var purposes = state.purposes || {};
    Array.prototype.forEach.call(root.querySelectorAll('[data-consent-choice]'), function (el) {
      var on = !!purposes[el.getAttribute('data-consent-choice')];
      el.textContent = on ? granted : refused;
      el.parentNode.setAttribute('data-granted', on ? 'true' : 'false');
    });
  }

  function cell(text) {
    var td = document.createElement('td');
    td.textContent = text;
    return td;
  }

  function showHistory(body) {
    var records = (body && body.records) || [];
    var rows = records.map(function (r) {
      var tr = document.createElement('tr');
      tr.append(
        cell(when(r.created_at)),
        cell(r.source + (r.action ? ' · ' + r.action : '')),
        cell((r.granted || []).join(', ')),
        cell((r.refused || []).join(', '))
      );
      return tr;
    });
    var tbody = document.querySelector('#consent-history tbody');
    tbody.replaceChildren.apply(tbody, rows);
    document.getElementById('consent-history-block').hidden = rows.length === 0;
  }

  function refresh() {
    if (window.ConsentSDK) update(window.ConsentSDK.get());
    window.fetch('/consent/history', { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(showHistory)
      .catch(function () {});
  }

  document.addEventListener('consent:change', function (event) { update(event.detail); });
  // The server has the decision: its dates and the new record are there to show.
  document.addEventListener('consent:recorded', refresh);
})();
