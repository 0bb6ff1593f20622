/* Shared by the gated tags: wait until consent_sdk has delivered the visitor's decision to
 * the server before calling an endpoint the server gates too. The widget applies a choice in
 * the page at once and keeps it in localStorage["consent_sdk.pending"] until the server has
 * recorded it (docs/design.md); a request sent earlier would still carry the old cookie. */
(function () {
  'use strict';
  var sa = (window.stepahead = window.stepahead || {});
  if (sa.whenRecorded) return;

  function pending() {
    try {
      var items = JSON.parse(window.localStorage.getItem('consent_sdk.pending') || '[]');
      return Array.isArray(items) && items.length > 0;
    } catch (e) {
      return false;
    }
  }

  /* Call fn once nothing is pending (checked every 100 ms; after 10 s it calls fn anyway and
   * lets the server decide). The first check waits a tick: the widget announces a change
   * (consent:change) just before it queues the decision for delivery. */
  sa.whenRecorded = function (fn) {
    var tries = 0;
    function check() {
      if (!pending() || tries++ >= 100) fn();
      else window.setTimeout(check, 100);
    }
    window.setTimeout(check, 0);
  };
})();
