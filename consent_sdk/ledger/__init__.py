"""The ledger: consent records as evidence.

Everything that reads or writes the records lives here, one module per job, and none of it
needs a request: ``store`` (record, history), ``tables``, ``canonical`` (what is hashed and
how), ``keys`` (Ed25519 signing), ``chain`` (seal and verify), ``receipts``, ``retention``
(purge), ``rights`` (access and erasure), ``export`` and ``migrations`` (Alembic). The HTTP
views and the ``flask consent`` commands call these modules directly; the per-request gate
never does.
"""

from __future__ import annotations

from .store import Ledger as Ledger
from .store import create_own_engine as create_own_engine
