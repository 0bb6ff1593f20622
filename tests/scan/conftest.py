"""Scan-test fixtures: the example site, the leaky site and a third party, each served on
127.0.0.1 for the whole module (a scan is slow: each module scans once and asserts much)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.e2e.helpers import site_app
from tests.scan.sites import leaky_app, third_party_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents and item.path.name != "test_scan_findings.py":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def third_party() -> Iterator[LiveServer]:
    server = LiveServer(third_party_app())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def leaky(
    tmp_path_factory: pytest.TempPathFactory, third_party: LiveServer
) -> Iterator[LiveServer]:
    server = LiveServer(leaky_app(tmp_path_factory.mktemp("leaky"), third_party.url))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The StepAhead example site, on an instance folder of its own."""
    server = LiveServer(site_app(tmp_path_factory.mktemp("stepahead") / "instance"))
    yield server
    server.stop()
