/* Keeps the end of every page reachable: while consent_sdk's banner (or its floating settings
 * button) is fixed to the bottom of the window, the page gets that much room below the footer,
 * so the footer's "Cookie settings" and policy links can always be scrolled into view. */
(function () {
  'use strict';
  var queued = false;

  function update() {
    queued = false;
    var cover = 0;
    var nodes = document.querySelectorAll('[data-consent-ui="banner"], .csdk-fab');
    Array.prototype.forEach.call(nodes, function (node) {
      if (window.getComputedStyle(node).position !== 'fixed') return;
      var box = node.getBoundingClientRect();
      // Only what is pinned to the bottom edge hides the end of the page.
      if (box.bottom >= window.innerHeight - 48) cover = Math.max(cover, window.innerHeight - box.top);
    });
    document.body.style.paddingBottom = cover ? Math.ceil(cover + 8) + 'px' : '';
  }

  function schedule() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(update);
  }

  function start() {
    new MutationObserver(schedule).observe(document.body, { childList: true });
    window.addEventListener('resize', schedule);
    schedule();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
