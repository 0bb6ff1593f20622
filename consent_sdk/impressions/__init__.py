"""Banner impressions (issue 18, "shown → decided"): how often the first layer was shown.

Counted as aggregates only, one row per site, UTC day, language and policy version, so the
count identifies no one and needs no consent: no cookie is read or set, no address, browser,
id or time of day is kept. ``tables`` defines the table on the ledger's metadata, ``store``
counts and reads, ``views`` is ``POST {prefix}/impressions``.
"""

from __future__ import annotations

from . import tables as tables
from .funnel import Funnel as Funnel
from .funnel import funnel as funnel
from .store import Shown as Shown
from .store import count as count
from .store import shown as shown
