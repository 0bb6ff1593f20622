"""``flask consent …`` commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .decorators import guarded_purposes
from .ledger import chain, export, receipts, retention, rights, rollup
from .ledger.keys import Keys

consent_cli = AppGroup(
    "consent",
    help="Consent records and setup: tables, history, checks, seals, receipts, rights, export.",
)


def _ext() -> Any:
    """The current app's ``AppConsent`` (commands run in an app context, no request)."""
    return current_app.extensions["consent"]


def _own_site() -> str:
    """This app's ``CONSENT_SITE_ID``: every command works on its own site's records unless
    told otherwise, as the views do (several sites may share one store)."""
    return str(_ext().config.site_id)


ALL_SITES = click.option(
    "--all-sites",
    is_flag=True,
    help="Every site in the store, not only this app's CONSENT_SITE_ID.",
)
SIGNED_ALL_SITES = click.option(
    "--all-sites",
    is_flag=True,
    help="Every site in the store, not only this app's CONSENT_SITE_ID: only when every site "
    "signs with this app's CONSENT_RECEIPT_KEY.",
)


def _sites(site: str | None, all_sites: bool) -> str | None:
    """The site a query keeps to: ``--site``, else this app's; None for ``--all-sites``."""
    if all_sites and site is not None:
        raise click.UsageError("give --site or --all-sites, not both")
    return None if all_sites else (site or _own_site())


@consent_cli.command("init-db")
def init_db() -> None:
    """Create the consent tables (they are also created on first use)."""
    from .exceptions import StoreNotReady

    try:
        _ext().ledger.create_tables()
    except StoreNotReady as exc:
        raise click.ClickException(exc.description or str(exc)) from None
    click.echo("consent tables are ready")


@consent_cli.command("history")
@click.argument("consent_id")
def history(consent_id: str) -> None:
    """Print every record of CONSENT_ID on this site as JSON lines, oldest first."""
    site = _own_site()
    records = [r for r in _ext().ledger.history(consent_id) if r["site_id"] == site]
    if not records:
        raise click.ClickException(f"no records for consent id {consent_id!r}")
    for record in records:
        click.echo(json.dumps(record, default=str, ensure_ascii=False))


@consent_cli.command("check")
def check() -> None:
    """Check the app's consent setup for CI: every @requires_consent names a known purpose."""
    from .checks import describe, unknown_purposes

    ext = _ext()
    found = unknown_purposes(current_app, ext.config)
    if found:
        raise click.ClickException(describe(found, ext.config))
    guarded = sum(1 for view in current_app.view_functions.values() if guarded_purposes(view))
    click.echo(
        f"consent setup is valid: {guarded} guarded views, purposes {list(ext.config.by_id)}"
    )


# --- the ledger: proof, rights, retention, export ---------------------------------------------

DATE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"])


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@consent_cli.command("seal")
@click.option("--batch", default=chain.DEFAULT_BATCH, show_default=True, type=click.IntRange(1))
@click.option(
    "--grace",
    default=chain.DEFAULT_GRACE,
    show_default=True,
    type=click.FloatRange(0),
    help="Seal only records at least this many seconds old.",
)
@SIGNED_ALL_SITES
def seal(batch: int, grace: float, all_sites: bool) -> None:
    """Seal this site's new records into its hash chain (safe to run from cron, even twice),
    then count them into the dashboard's rollup (as ``flask consent rollup``).

    Each site seals its own chain with its own key, so another site's verify never meets a
    seal it cannot check.
    """
    ext = _ext()
    sites = None if all_sites else [_own_site()]
    done = chain.seal(ext.ledger, ext.keys, batch=batch, grace=grace, sites=sites)
    for s in done:
        click.echo(f"{s.site_id}: seal {s.seq}: {s.count} records up to id {s.last_id}")
    click.echo(f"sealed {sum(s.count for s in done)} records in {len(done)} seals")
    _rollup(sites, rollup.DEFAULT_BATCH, grace)


def _rollup(sites: list[str] | None, batch: int, grace: float) -> None:
    done = rollup.run(_ext().ledger, sites_=sites, batch=batch, grace=grace)
    click.echo(f"rolled up {sum(r.records for r in done)} records for the dashboard")


@consent_cli.command("rollup")
@click.option("--batch", default=rollup.DEFAULT_BATCH, show_default=True, type=click.IntRange(1))
@click.option(
    "--grace",
    default=rollup.DEFAULT_GRACE,
    show_default=True,
    type=click.FloatRange(0),
    help="Count only records at least this many seconds old.",
)
@ALL_SITES
def rollup_command(batch: int, grace: float, all_sites: bool) -> None:
    """Count this site's new records into the dashboard's daily rollup (seal does it too).

    Safe from cron, even twice or two at once: each record is counted once. The dashboard is
    exact either way (it counts the records after the rollup live); the rollup keeps it fast.
    """
    _rollup(None if all_sites else [_own_site()], batch, grace)


@consent_cli.command("verify")
@SIGNED_ALL_SITES
def verify(all_sites: bool) -> None:
    """Walk this site's chain; exit 1 naming each altered, deleted, inserted or reordered
    record."""
    ext = _ext()
    sites = None if all_sites else [_own_site()]
    report = chain.verify(ext.ledger, ext.keys.public, sites=sites)
    for problem in report.breaks:
        click.echo(f"BROKEN {problem}", err=True)
    click.echo(
        f"{report.sealed} sealed records intact in {report.seals} seals, {report.purged} "
        f"purged by retention, {report.unsealed} not sealed yet"
    )
    if not report.ok:
        raise click.ClickException(f"the ledger does not verify: {len(report.breaks)} breaks")
    click.echo("the ledger verifies")


@consent_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, delete nothing.")
@click.option(
    "--chunk",
    default=retention.DEFAULT_CHUNK,
    show_default=True,
    type=click.IntRange(1),
    help="Records deleted per transaction.",
)
@click.option(
    "--pause",
    default=0.0,
    type=click.FloatRange(0),
    help="Seconds to wait between chunks, to spare a busy database.",
)
@SIGNED_ALL_SITES
def purge(dry_run: bool, chunk: int, pause: float, all_sites: bool) -> None:
    """Delete this site's records whose retention has ended (CONSENT_RECORD_RETENTION).

    Safe from cron: a second run deletes nothing more, two at once do no double work, a run
    killed halfway leaves whole chunks done and the ledger verifiable. The tombstones are
    signed with this site's key, so it purges its own records only.
    """
    ext = _ext()
    site = None if all_sites else _own_site()
    result = retention.purge(
        ext.ledger, ext.keys, dry_run=dry_run, chunk=chunk, pause=pause, site=site
    )
    if dry_run:
        click.echo(f"would delete {result.due} records past their retention")
    else:
        click.echo(f"deleted {result.deleted} records past their retention")
        from .accounts import prune  # accounts: a link goes with its record

        prune(ext.ledger, None if site is None else [site])


@consent_cli.command("erase")
@click.option("--consent-id", help="The visitor's consent id.")
@click.option("--user", "user_id", help="A signed-in customer's user id (the host's own).")
def erase(consent_id: str | None, user_id: str | None) -> None:
    """Erase a visitor's personal fields on this site (Art. 17); the records' proof stays
    verifiable. A consent id is the site's own (its cookie): other sites' records stay.
    ``--user``: every browser of that customer's account, and the account's links."""
    ledger = _ext().ledger
    site = _own_site()
    # --user: by the host's user id (consent_sdk/accounts/)
    if consent_id is None and user_id is None:
        raise click.UsageError("Missing option '--consent-id' (or --user).")
    if consent_id is not None and user_id is not None:
        raise click.UsageError("give --consent-id or --user, not both")
    if user_id is not None:
        accounts = _ext().accounts
        consent_ids, changed = accounts.erase(user_id)
        if not consent_ids:
            raise click.ClickException("no records for that user")
        click.echo(
            f"erased the personal fields of {changed} records of {len(consent_ids)} browsers "
            "of that user, and the account's links"
        )
        return
    assert consent_id is not None
    if not rights.access(ledger, consent_id, site)["records"]:
        raise click.ClickException(f"no records for consent id {consent_id!r}")
    changed = rights.erase(ledger, consent_id, site=site)
    click.echo(f"erased the personal fields of {changed} records of {consent_id}")


@consent_cli.command("export")
@click.option("--consent-id", help="Everything stored about one visitor, as JSON (Art. 15).")
@click.option("--user", "user_id", help="Everything stored about one signed-in customer, as JSON.")
@click.option("--since", type=DATE, help="From this date (UTC, inclusive).")
@click.option("--until", type=DATE, help="Until this date (UTC, exclusive).")
@click.option("--site", help="This CONSENT_SITE_ID instead of the app's own.")
@ALL_SITES
@click.option("--format", "fmt", type=click.Choice(export.FORMATS), default="csv")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_records(
    consent_id: str | None,
    user_id: str | None,
    since: datetime | None,
    until: datetime | None,
    site: str | None,
    all_sites: bool,
    fmt: str,
    output: Any,
) -> None:
    """Stream this site's records (or --site's, or --all-sites) as CSV or JSON lines, in
    constant memory."""
    ledger = _ext().ledger
    site = _sites(site, all_sites)
    # --user: by the host's user id (consent_sdk/accounts/)
    if user_id is not None:
        if consent_id is not None or site != _own_site():
            raise click.UsageError("--user works on this site alone, without --consent-id")
        accounts = _ext().accounts
        account = accounts.links.access(accounts.all_refs(user_id))
        if account is None:
            raise click.ClickException("no records for that user")
        output.write(json.dumps(account, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    if consent_id is not None:
        found = rights.access(ledger, consent_id, site)
        if not found["records"]:
            raise click.ClickException(f"no records for consent id {consent_id!r}")
        output.write(json.dumps(found, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    since, until = _utc(since), _utc(until)
    if since and until and since >= until:
        raise click.BadParameter("--since must be before --until")
    for line in export.lines(export.rows(ledger, since=since, until=until, site=site), fmt):
        output.write(line)


@consent_cli.command("stats")
@click.option("--since", type=DATE)
@click.option("--until", type=DATE)
@click.option("--site", help="This CONSENT_SITE_ID instead of the app's own.")
@ALL_SITES
def stats(
    since: datetime | None, until: datetime | None, site: str | None, all_sites: bool
) -> None:
    """This site's decisions and grant rates per purpose, per day and per policy version
    (JSON): sites ask for different purposes, so their rates are not mixed unless asked."""
    from .impressions.funnel import recount

    chosen = _sites(site, all_sites)
    ledger = _ext().ledger
    figures = export.stats(ledger, since=_utc(since), until=_utc(until), site=chosen)
    if chosen is not None:
        # The dashboard's shown -> decided, recounted from the records (it reads the rollup).
        first = since.date() if since else date(2000, 1, 1)
        end = until.date() if until else datetime.now(UTC).date() + timedelta(days=1)
        f = recount(ledger, site=chosen, since=first, until=end)
        figures["shown_decided"] = {
            "shown": f.shown.total,
            "answered": f.answered,
            "nothing": f.nothing,
        }
    click.echo(json.dumps(figures, indent=2))


@consent_cli.command("receipt")
@click.option("--consent-id", required=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def receipt(consent_id: str, output: Any) -> None:
    """Write the signed receipt of a consent id on this site (what the visitor downloads)."""
    ext = _ext()
    document = receipts.build(
        ext.ledger,
        ext.keys,
        consent_id,
        controller=ext.config.controller,
        policy_url=ext.config.policy_url_for(ext.config.default_language),
        site=_own_site(),
    )
    if document is None:
        raise click.ClickException(f"no records for consent id {consent_id!r}")
    output.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@consent_cli.command("verify-receipt")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--jwks",
    type=click.File("r", encoding="utf-8"),
    help="Verify with this JWK set only (e.g. saved from /consent/jwks.json), not the ledger.",
)
def verify_receipt(file: Any, jwks: Any) -> None:
    """Say whether a receipt is authentic and matches the ledger; exit 1 if not."""
    try:
        document = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"{file.name} is not JSON ({exc})") from None
    ext = _ext()
    if jwks is not None:
        try:
            public = Keys.verifying(json.load(jwks)["keys"])
        except (ValueError, KeyError, TypeError) as exc:
            raise click.ClickException(f"{jwks.name} is not a JWK set ({exc})") from None
    else:
        public = ext.keys.public
    try:
        checked = receipts.verify(document, public)
    except receipts.ReceiptError as exc:
        raise click.ClickException(f"receipt NOT authentic: {exc}") from None
    problems = [] if jwks is not None else receipts.check_against_ledger(ext.ledger, checked)
    for problem in problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if problems:
        raise click.ClickException("the receipt is authentic but does not match the ledger")
    where = "is authentic" if jwks is not None else "is authentic and matches the ledger"
    click.echo(f"receipt {checked['receipt_id']} ({len(checked['records'])} records) {where}")


# --- the store's schema: Alembic revisions shipped with the SDK -------------------------------


@consent_cli.group("db")
def db() -> None:
    """The consent store's schema (the SDK's own store; a host's db= has its own migrations)."""


HOST_MIGRATIONS = (
    "the consent tables are in the app's own database (ConsentManager(app, db=db)) and "
    "its migrations own them: they are in db.metadata, so with Flask-Migrate run "
    "`flask db migrate` and `flask db upgrade`"
)


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the consent store to this release's schema, keeping every record.

    Also done on first use; run it at deploy time to have it over with before traffic.
    """
    from .ledger import migrate

    ledger = _ext().ledger
    if not ledger.owns_schema:
        raise click.ClickException(HOST_MIGRATIONS)
    outcome = ledger.create_tables()
    before = outcome.before or "empty"
    if outcome.adopted:
        before += " (the previous release's tables, stamped)"
    click.echo(f"consent store revision before: {before}")
    click.echo(f"consent store revision after: {outcome.after} (head {migrate.head()})")
    if not outcome.changed:
        click.echo("already at head: nothing to do")


@db.command("current")
def db_current() -> None:
    """Print the consent store's revision and this release's head; exit 1 if behind."""
    from .ledger import migrate

    ledger = _ext().ledger
    if not ledger.owns_schema:
        raise click.ClickException(HOST_MIGRATIONS)
    # The engine without the upgrade that first use would run: this only looks.
    with ledger._get_engine().connect() as conn:
        revision = migrate.current(conn)
    click.echo(f"consent store revision: {revision or 'none'} (head {migrate.head()})")
    if revision != migrate.head():
        raise click.ClickException("the consent store is behind: run `flask consent db upgrade`")


# --- the consent auditor: the site's own pages in a real browser (docs/SCAN.md) ---------------


@consent_cli.command("scan")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--crawl", is_flag=True, help="Also scan the pages linked from URL, same origin.")
@click.option(
    "--max-pages",
    default=10,
    show_default=True,
    type=click.IntRange(1),
    help="With --crawl: scan at most this many pages.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a self-contained HTML report with a screenshot of each phase.",
)
@click.option(
    "--browser",
    metavar="PATH",
    help="The Chromium executable to drive (default: CONSENT_SCAN_BROWSER, else chromium on PATH).",
)
def scan(
    urls: tuple[str, ...],
    crawl: bool,
    max_pages: int,
    as_json: bool,
    html_file: str | None,
    browser: str | None,
) -> None:
    """Open each URL as a new visitor in headless Chromium, before a choice, after Reject all,
    after Accept all and after a withdrawal; report every cookie, storage key and request to
    another origin against CONSENT_PURPOSES. Exit 1 on any violation."""
    from . import scan as scanner
    from .scan import report

    config = _ext().config
    try:
        result = scanner.run(
            urls,
            scanner.Declarations.from_config(config),
            crawl=crawl,
            max_pages=max_pages,
            browser=browser,
            configured_browser=config.scan_browser,
            screenshots=html_file is not None,
        )
    except scanner.ScanError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.to_json(result) if as_json else report.text(result), nl=False)
    if html_file is not None:
        with open(html_file, "w", encoding="utf-8") as out:
            out.write(report.html(result))
        click.echo(f"HTML report written to {html_file}", err=True)
    if result.violations:
        raise SystemExit(1)
