"""Integration tests: consent_sdk next to the real Flask extensions sites run with it.

A test that drives the browser (it uses the ``page`` or ``browser`` fixture) is marked
``browser``, like the tests in tests/browser/.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "integrations" in item.nodeid and {"page", "browser"} & set(fixtures):
            item.add_marker(pytest.mark.browser)
