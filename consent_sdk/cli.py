"""``flask consent …`` commands."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

consent_cli = AppGroup("consent", help="Consent records: create tables, read a visitor's history.")


@consent_cli.command("init-db")
def init_db() -> None:
    """Create the consent tables (they are also created on first use)."""
    current_app.extensions["consent"].store.create_tables()
    click.echo("consent tables are ready")


@consent_cli.command("history")
@click.argument("consent_id")
def history(consent_id: str) -> None:
    """Print every record of CONSENT_ID as JSON lines, oldest first."""
    records = current_app.extensions["consent"].store.history(consent_id)
    if not records:
        raise click.ClickException(f"no records for consent id {consent_id!r}")
    for record in records:
        click.echo(json.dumps(record, default=str, ensure_ascii=False))
