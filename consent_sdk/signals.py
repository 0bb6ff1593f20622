"""Signals sent when a visitor decides, so a site can react (Flask's blinker namespace).

Receivers get ``sender=app`` and keyword arguments ``state`` (the new ``ConsentState``),
``previous`` (the state before) and ``record`` (the stored record as a dict).
``consent_withdrawn`` also gets ``purposes``: the ids that were granted before and are not now.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

consent_given = _signals.signal("consent-given")
consent_changed = _signals.signal("consent-changed")
consent_withdrawn = _signals.signal("consent-withdrawn")
