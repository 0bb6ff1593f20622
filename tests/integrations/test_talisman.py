"""A site whose Content-Security-Policy comes from Flask-Talisman, with a per-request nonce.

The template hands Talisman's ``csp_nonce()`` to ``consent_banner(nonce=...)`` and to its
gated scripts: the banner works without a single CSP violation, and Accept all runs them (the
widget copies a gated script's nonce when it activates it). Both a ``'self'`` + nonce policy and
a nonce-only ``script-src`` (where the widget's own script needs the nonce) are covered.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_talisman import Talisman

from consent_sdk import ConsentManager
from tests.browser.widget import BANNER, history, ran
from tests.integrations.helpers import choose, host_app

# Talisman adds the nonce only to directives the policy names, so script-src is spelled out.
POLICIES = {
    "self_and_nonce": {"default-src": "'self'", "script-src": "'self'"},
    "nonce_only": {"default-src": "'self'", "script-src": ""},
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><title>Home</title>
{{ consent_banner(nonce=csp_nonce()) }}
<script type="text/plain" data-consent="analytics" src="/assets/analytics.js"
        nonce="{{ csp_nonce() }}"></script>
<script type="text/plain" data-consent="analytics" nonce="{{ csp_nonce() }}">
  window.ran = (window.ran || []).concat('inline');
</script>
</head>
<body><main><h1>Home</h1></main></body>
</html>"""

COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
    window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def create_app(tmp_path: Path, policy: str = "self_and_nonce") -> Flask:
    app = host_app(tmp_path)
    Talisman(
        app,
        content_security_policy=POLICIES[policy],
        content_security_policy_nonce_in=["script-src"],
        force_https=False,
    )
    ConsentManager(app)

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE)

    return app


def test_page_carries_talismans_nonce_on_the_widget_script(tmp_path: Path) -> None:
    answer = create_app(tmp_path).test_client().get("/")
    policy = answer.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    html = answer.get_data(as_text=True)
    assert re.search(rf'<script src="/consent/consent\.js\?[^"]*"[^>]* nonce="{nonce}"', html)
    assert html.count(f'nonce="{nonce}"') == 3  # the widget's one tag, the two gated scripts


@pytest.mark.parametrize("policy", POLICIES)
def test_rule_01_06_banner_and_gated_scripts_work_with_zero_csp_violations(
    tmp_path: Path, live_server: Any, page: Any, policy: str
) -> None:
    server = live_server(create_app(tmp_path, policy))
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.add_init_script(COLLECT_VIOLATIONS)
    response = page.goto(server.url + "/")
    assert "'nonce-" in response.headers["content-security-policy"]

    banner = page.locator(BANNER)
    banner.wait_for()
    assert banner.evaluate("el => getComputedStyle(el).position") == "fixed"  # the stylesheet
    assert ran(page) == []
    choose(page, "accept-all")
    page.wait_for_function("() => (window.ran || []).length == 2")

    assert ran(page) == ["analytics", "inline"]
    assert history(page)[0]["action"] == "accept_all"
    assert page.evaluate("window.cspViolations") == []
    assert [m for m in console if m.startswith("error")] == []
