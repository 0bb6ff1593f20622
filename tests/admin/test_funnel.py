"""Shown → decided on the dashboard (issue 18): the banners shown, counted by the widget's
impressions, and what they led to, counted from the decisions made through the HTTP API.

An answer is a decision of a visitor the banner was shown to: no earlier record on the site,
or the last one a withdrawal (the banner comes back). A decided visitor changing their mind
in the settings, a withdrawal itself and the server's GPC records answer no banner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask

from tests.conftest import make_app

ADMIN = {"CONSENT_ADMIN_ENABLED": True, "CONSENT_ADMIN_GUARD": lambda: True}


def _shown(app: Flask, language: str, times: int) -> None:
    version = app.extensions["consent"].config.policy_version
    for _ in range(times):
        # A fresh client each time: impressions carry no cookie, the widget sends none.
        answer = app.test_client().post(
            "/consent/impressions", json={"language": language, "policy_version": version}
        )
        assert answer.status_code == 204 and "Set-Cookie" not in answer.headers


def _decide(visitor: Any, action: str, source: str, **purposes: bool) -> None:
    body = {"purposes": purposes, "action": action, "source": source, "language": "lv"}
    assert visitor.post("/consent/state", json=body).status_code == 200


def _csv(app: Flask) -> list[list[str]]:
    text = app.test_client().get("/consent/admin/?format=csv&chart=shown").get_data(as_text=True)
    return [line.split(",") for line in text.splitlines()]


def test_banners_shown_and_what_they_led_to(tmp_path: Path) -> None:
    app = make_app(tmp_path, **ADMIN)
    _shown(app, "lv", 6)
    _shown(app, "en", 2)

    first, second, third = (app.test_client() for _ in range(3))
    _decide(first, "accept_all", "banner", analytics=True, marketing=True, preferences=True)
    _decide(first, "save", "settings", analytics=False)  # a change of mind: no banner shown
    _decide(second, "reject_all", "banner")
    _decide(third, "save", "settings", analytics=True)  # "Customize" from the banner, saved
    assert third.delete("/consent/state").status_code == 200  # withdrawal: answers nothing
    _decide(third, "reject_all", "banner")  # the banner came back after the withdrawal

    page = app.test_client().get("/consent/admin/?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="shown">8<' in html
    rows = _csv(app)
    assert rows[:5] == [
        ["label", "count", "of", "share"],
        ["Accepted all", "1", "8", "0.125"],
        ["Rejected all", "2", "8", "0.25"],
        ["Chose purposes", "1", "8", "0.125"],
        ["Nothing (left or browsed on)", "4", "8", "0.5"],
    ]
    # The same figures from the command line, recounted from the records.
    result = app.test_cli_runner().invoke(args=["consent", "stats"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["shown_decided"] == {
        "shown": 8,
        "answered": {"accept_all": 1, "reject_all": 2, "custom": 1},
        "nothing": 4,
    }
    per_day = [r for r in rows[6:] if r]
    assert per_day[0] == [
        "day",
        "language",
        "policy_version",
        "shown",
        *("accept_all", "reject_all", "custom"),
    ]
    shown_by_language = {r[1]: int(r[3]) for r in per_day[1:]}
    assert shown_by_language == {"lv": 6, "en": 2}


def test_no_impression_yet_says_so_and_another_sites_views_do_not_count(tmp_path: Path) -> None:
    shop = make_app(tmp_path, **ADMIN)
    blog = make_app(tmp_path, CONSENT_SITE_ID="blog", **ADMIN)  # the same store
    _shown(blog, "lv", 3)
    html = shop.test_client().get("/consent/admin/?lang=en").get_data(as_text=True)
    assert 'id="shown">0<' in html and 'id="no-impressions"' in html
    assert 'id="shown">3<' in blog.test_client().get("/consent/admin/?lang=en").get_data(
        as_text=True
    )
    assert 'id="shown">3<' in shop.test_client().get("/consent/admin/?lang=en&site=blog").get_data(
        as_text=True
    )
