/* A local stand-in for Google's gtag.js (this machine has no internet, and a demo should not
 * call Google anyway). Like the real library it reads the queued dataLayer, then takes over
 * dataLayer.push. It makes no request and sets no cookie; it records every call and keeps the
 * Consent Mode state, so the debug panel (?debug=1) and the tests can see what a real tag
 * would have been told, and in which order. */
(function () {
  'use strict';
  var dataLayer = (window.dataLayer = window.dataLayer || []);
  if (window.gtagStandIn) return;

  var standIn = {
    calls: [],      // {n, queued, command, args} in dataLayer order
    consent: {},    // current Consent Mode state, e.g. {analytics_storage: "granted"}
    defaultAt: -1,  // index of the first consent default call
    hits: [],       // what a real tag would have sent: {n, command, mode: "cookies"|"cookieless"}
  };
  window.gtagStandIn = standIn;

  function isArgs(entry) {
    return Object.prototype.toString.call(entry) === '[object Arguments]' || Array.isArray(entry);
  }

  function record(entry, queued) {
    var call;
    if (isArgs(entry)) {
      var args = Array.prototype.slice.call(entry);
      call = { n: standIn.calls.length, queued: queued, command: String(args[0]), args: args.slice(1) };
      if (call.command === 'consent') {
        var params = args[2] || {};
        if (args[1] === 'default' && standIn.defaultAt < 0) standIn.defaultAt = call.n;
        Object.keys(params).forEach(function (key) {
          if (key !== 'wait_for_update' && key !== 'region') standIn.consent[key] = params[key];
        });
      } else if (call.command === 'config' || call.command === 'event') {
        standIn.hits.push({
          n: call.n,
          command: call.command,
          mode: standIn.consent.analytics_storage === 'granted' ? 'cookies' : 'cookieless',
        });
      }
    } else {
      call = { n: standIn.calls.length, queued: queued, command: 'push', args: [entry] };
    }
    standIn.calls.push(call);
    document.dispatchEvent(new CustomEvent('gtag-standin:call', { detail: call }));
  }

  dataLayer.forEach(function (entry) { record(entry, true); });
  var push = dataLayer.push;
  dataLayer.push = function () {
    for (var i = 0; i < arguments.length; i++) record(arguments[i], false);
    return push.apply(dataLayer, arguments);
  };
})();
