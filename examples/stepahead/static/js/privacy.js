/* Keeps "Your choice" on the privacy page in step with the widget: after the visitor saves
 * new settings, the consent id, dates and per-purpose choices update without a reload. */
(function () {
  'use strict';
  var root = document.getElementById('your-consent');
  if (!root) return;

  function update(state) {
    if (!state) return;
    var granted = root.getAttribute('data-text-granted');
    var refused = root.getAttribute('data-text-refused');
    root.querySelector('.consent-none').hidden = !!state.decided;
    root.querySelector('.consent-facts').hidden = !state.decided;
    ['consent_id', 'policy_version', 'given_at', 'expires_at'].forEach(function (field) {
      var el = root.querySelector('[data-consent-field="' + field + '"]');
      if (!el) return;
      var value = state[field] || '';
      if (value && field.slice(-3) === '_at') {
        value = new Date(value).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
      }
      el.textContent = value;
    });
    var purposes = state.purposes || {};
    Array.prototype.forEach.call(root.querySelectorAll('[data-consent-choice]'), function (el) {
      var on = !!purposes[el.getAttribute('data-consent-choice')];
      el.textContent = on ? granted : refused;
      el.parentNode.setAttribute('data-granted', on ? 'true' : 'false');
    });
  }

  document.addEventListener('consent:change', function (event) { update(event.detail); });
})();
