"""``flask consent …`` commands."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from .decorators import guarded_purposes

consent_cli = AppGroup(
    "consent", help="Consent records and setup: create tables, read a history, check views."
)


@consent_cli.command("init-db")
def init_db() -> None:
    """Create the consent tables (they are also created on first use)."""
    current_app.extensions["consent"].ledger.create_tables()
    click.echo("consent tables are ready")


@consent_cli.command("history")
@click.argument("consent_id")
def history(consent_id: str) -> None:
    """Print every record of CONSENT_ID as JSON lines, oldest first."""
    records = current_app.extensions["consent"].ledger.history(consent_id)
    if not records:
        raise click.ClickException(f"no records for consent id {consent_id!r}")
    for record in records:
        click.echo(json.dumps(record, default=str, ensure_ascii=False))


@consent_cli.command("check")
def check() -> None:
    """Check the app's consent setup for CI: every @requires_consent names a known purpose."""
    from .checks import describe, unknown_purposes

    ext = current_app.extensions["consent"]
    found = unknown_purposes(current_app, ext.config)
    if found:
        raise click.ClickException(describe(found, ext.config))
    guarded = sum(1 for view in current_app.view_functions.values() if guarded_purposes(view))
    click.echo(
        f"consent setup is valid: {guarded} guarded views, purposes {list(ext.config.by_id)}"
    )
