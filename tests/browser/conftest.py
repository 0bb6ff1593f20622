"""Browser-test fixtures: ``site`` serves one small test page per scenario on 127.0.0.1;
``new_page`` opens a page in a context with options (locale, viewport, headers, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.widget import build_app
from tests.conftest import ARTIFACTS


@pytest.fixture
def site(tmp_path: Path, live_server: Any) -> Callable[..., Any]:
    """``site(page="gated.html", csp=None, lang="en", **CONSENT_config)`` → a LiveServer."""

    def start(page: str = "gated.html", **kwargs: Any) -> Any:
        return live_server(build_app(tmp_path, page, **kwargs))

    return start


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``new_page(**context_options)`` → a page in its own new context, closed after the test
    (with a screenshot in test-artifacts/ if the test failed)."""
    contexts: list[Any] = []

    def open_page(**options: Any) -> Any:
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "rep_call", None)
    for n, context in enumerate(contexts):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for i, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-c{n}-{i}.png"))
        context.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
