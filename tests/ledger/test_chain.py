"""Seal and verify: every hand edit of the records is found and named by its record id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import SITE
from tests.ledger.conftest import Site

SITE_ID = SITE.get("CONSENT_SITE_ID", "default")


def _sealed_site(site: Site, decisions: int = 6) -> list[int]:
    for n in range(decisions):
        site.decide({"analytics": n % 2 == 0, "marketing": n % 3 == 0})
    result = site.cli("seal", "--grace", "0", "--batch", "4")
    assert result.exit_code == 0, result.output
    assert f"sealed {decisions} records in 2 seals" in result.output
    return site.ids()


def test_rule_10_an_intact_ledger_verifies_and_new_records_are_unsealed_not_broken(
    site: Site,
) -> None:
    _sealed_site(site)
    site.decide({"analytics": True})
    result = site.cli("verify")
    assert result.exit_code == 0, result.output
    assert "6 sealed records intact in 2 seals" in result.output
    assert "1 not sealed yet" in result.output
    # Sealing again takes the new record only, chained to the seal before.
    assert "sealed 1 records in 1 seals" in site.cli("seal", "--grace", "0").output
    assert site.cli("verify").exit_code == 0


def test_rule_10_a_hand_altered_record_is_named(site: Site) -> None:
    ids = _sealed_site(site)
    site.sql(
        "update consent_records set granted = :g where id = :i",
        g='["analytics","necessary"]',
        i=ids[3],
    )
    result = site.cli("verify")
    assert result.exit_code == 1
    assert f"record {ids[3]}: altered" in result.output
    assert result.output.count("BROKEN") == 1


def test_rule_10_a_deleted_record_is_named(site: Site) -> None:
    ids = _sealed_site(site)
    site.sql("delete from consent_records where id = :i", i=ids[1])
    result = site.cli("verify")
    assert result.exit_code == 1
    assert f"record {ids[1]}: deleted" in result.output


def test_rule_10_an_inserted_record_is_named(site: Site, tmp_path: Path) -> None:
    # Two sites on one store: each site's chain has gaps where the other's records are.
    other = Site(tmp_path / "landing", site.url, CONSENT_SITE_ID="landing")
    for n in range(4):
        (site if n % 2 else other).decide({"analytics": True})
    # Each site seals and verifies its own chain, with its own key.
    for s in (site, other):
        assert s.cli("seal", "--grace", "0").exit_code == 0
        assert s.cli("verify").exit_code == 0
    # A record slipped into this site's sealed range: here, one taken from the other site.
    moved = site.sql("select id from consent_records where site_id = 'landing' order by id")[1][0]
    site.sql("update consent_records set site_id = :s where id = :i", s=SITE_ID, i=moved)
    result = site.cli("verify")
    assert result.exit_code == 1
    assert f"{SITE_ID}: record {moved}: inserted" in result.output
    assert f"landing: record {moved}: deleted" in other.cli("verify").output
    other.close()


def test_rule_10_two_swapped_records_are_named_as_reordered(site: Site) -> None:
    ids = _sealed_site(site)
    a, b = ids[0], ids[1]
    site.sql("update consent_records set id = -1 where id = :a", a=a)
    site.sql("update consent_records set id = :a where id = :b", a=a, b=b)
    site.sql("update consent_records set id = :b where id = -1", b=b)
    result = site.cli("verify")
    assert result.exit_code == 1
    assert f"record {a}: reordered: holds the content of record {b}" in result.output
    assert f"record {b}: reordered: holds the content of record {a}" in result.output


def test_rule_10_an_altered_or_deleted_seal_breaks_the_chain(site: Site) -> None:
    _sealed_site(site)
    site.sql("update consent_seals set count = count + 1 where seq = 1")
    assert "seal 1 does not hold" in site.cli("verify").output
    site.sql("update consent_seals set count = count - 1 where seq = 1")
    assert site.cli("verify").exit_code == 0
    site.sql("delete from consent_seals where seq = 1")
    result = site.cli("verify")
    assert result.exit_code == 1
    assert "seal 1 is gone" in result.output


def test_concurrent_sealers_seal_each_record_once(site: Site) -> None:
    for _ in range(30):
        site.decide({"analytics": True})
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(
            pool.map(lambda _: site.cli("seal", "--grace", "0", "--batch", "7"), range(3))
        )
    assert all(r.exit_code == 0 for r in results), [r.output for r in results]
    verified = site.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "30 sealed records intact" in verified.output
