"""Fixtures for the StepAhead journeys: the example site on a live server, and visitors.

Every journey runs twice, for two visitors in two fresh browser contexts against the same
server and database, to show that nothing leaks from one visitor to the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import ARTIFACTS, Site, Visitor, site_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def start_site(tmp_path: Path, live_server: Any) -> Callable[..., Site]:
    """``start_site(**config)`` serves the example site on its own instance folder; called
    again (e.g. with a new CONSENT_POLICY_VERSION) it restarts it on the same database."""
    current: list[Site] = []

    def start(**config: Any) -> Site:
        if current:
            current.pop().server.stop()
        app = site_app(tmp_path / "instance", **config)
        server = live_server(app)
        site = Site(app=app, url=server.url, server=server)
        current.append(site)
        return site

    return start


@pytest.fixture
def site(start_site: Callable[..., Site]) -> Site:
    return start_site()


@pytest.fixture
def visitors(
    browser: Any, site: Site, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Visitor]]:
    """``visitors(**context_options)`` → a new visitor in a fresh browser context."""
    made: list[Visitor] = []

    def new(target: Site | None = None, **options: Any) -> Visitor:
        visitor = Visitor(context=browser.new_context(**options), site=target or site)
        made.append(visitor)
        return visitor

    yield new
    report = getattr(request.node, "rep_call", None)
    for i, visitor in enumerate(made):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for j, page in enumerate(visitor.context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"))
        visitor.context.close()
