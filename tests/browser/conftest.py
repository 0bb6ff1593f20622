"""Browser-test fixtures: ``site`` serves one small test page per scenario on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.widget import build_app


@pytest.fixture
def site(tmp_path: Path, live_server: Any) -> Callable[..., Any]:
    """``site(page="gated.html", csp=False, lang="en", **CONSENT_config)`` → a LiveServer."""

    def start(page: str = "gated.html", **kwargs: Any) -> Any:
        return live_server(build_app(tmp_path, page, **kwargs))

    return start


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
