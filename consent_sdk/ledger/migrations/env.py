"""Alembic's entry point for the ledger's own revisions (run by ``consent_sdk.ledger.migrate``).

Online only, on the connection ``migrate`` passes in ``config.attributes["connection"]``,
already inside its transaction and holding its lock: the whole upgrade commits or rolls back
at once, and two app instances never run it together. The version table is the SDK's own
(``consent_alembic_version``), so it never meets a host app's ``alembic_version``.
"""

from __future__ import annotations

from alembic import context

from consent_sdk.ledger.migrate import VERSION_TABLE
from consent_sdk.ledger.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "consent_sdk's migrations run through consent_sdk.ledger.migrate.upgrade(engine) or "
        "`flask consent db upgrade`, on a connection they pass in"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
