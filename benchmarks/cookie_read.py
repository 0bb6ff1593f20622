"""When the widget reads its choice cookie, and what the read costs the page (issue 14).

Run: .venv/bin/python benchmarks/cookie_read.py [--runs 20] [--rates 1,4] [--json FILE]

The host page of benchmarks/firstpaint.py with consent_sdk, cold loads in Debian's Chromium (a
fresh browser context each, CPU throttled with CDP), alternating a returning visitor (the
choice cookie of an "Accept all") and one whose page already has a ``window.dataLayer`` (a tag
manager's snippet: the widget then reads the cookie before the first paint, as it does where a
vendor's consent API is configured). An init script wraps ``document.cookie``'s getter and
notes each read: when, and how long the browser took to answer it. Printed per rate and case:
medians (p25-p75) of the first read's time and cost, DOMContentLoaded (which in Chromium comes
after the deferred script has run, before the first frame) and FCP, and how many first reads
came before each. A page's first cookie read waits on the browser; a second costs nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import firstpaint
from playwright.sync_api import Browser, sync_playwright

READS = """() => {
    if (window !== window.top) return;
    const own = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
    const reads = window.__cookieReads = [];
    Object.defineProperty(Document.prototype, 'cookie', {
        configurable: true,
        get() {
            const t = performance.now();
            const value = own.get.call(this);
            reads.push({at: t, ms: performance.now() - t});
            return value;
        },
        set(value) { own.set.call(this, value) },
    });
}"""
COLLECT = """() => ({
    reads: window.__cookieReads,
    fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
    dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventStart,
})"""
CASES = {"returning": "", "returning + dataLayer": "window.dataLayer = window.dataLayer || []"}
BANNER_ACCEPT = '[data-consent-ui="banner"] [data-consent-action="accept-all"]'
SETTINGS = '[data-consent-ui="fab"]'


def returning_state(browser: Browser, url: str) -> Any:
    """The cookies of a visitor who chose Accept all (recorded by the server)."""
    context = browser.new_context()
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/consent/state")):
        page.goto(url)
        page.click(BANNER_ACCEPT)
    state = context.storage_state()
    context.close()
    return state


def load(browser: Browser, url: str, state: Any, init: str, rate: float) -> dict[str, Any]:
    context = browser.new_context(storage_state=state)
    try:
        context.add_init_script(f"({READS})()")
        if init:
            context.add_init_script(init)
        page = context.new_page()
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.goto(url, wait_until="load")
        page.locator(SETTINGS).wait_for()
        result: dict[str, Any] = page.evaluate(COLLECT)
        return result
    finally:
        context.close()


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) < 2:
        return f"{values[0]:.1f}"
    q = statistics.quantiles(values, n=4)
    return f"{statistics.median(values):.1f} ({q[0]:.1f}-{q[2]:.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="cold loads per case and rate")
    parser.add_argument("--rates", default="1,4", help="CPU throttling rates, comma-separated")
    parser.add_argument("--json", metavar="FILE", help="write every load here")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    loads: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        app, broken = firstpaint.build_app(Path(tmp))
        if "consent_sdk" in broken:
            sys.exit(broken["consent_sdk"])
        with firstpaint.serve(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=firstpaint.CHROMIUM, args=firstpaint.CHROMIUM_ARGS
            )
            url = f"{base}/consent_sdk"
            state = returning_state(browser, url)
            for rate in rates:
                for i in range(args.runs):
                    for case, init in CASES.items():
                        row = load(browser, url, state, init, rate)
                        loads.append({"rate": rate, "case": case, "run": i, **row})
            browser.close()
    print(
        "| CPU | case | first read at ms | its cost ms | DOMContentLoaded ms | FCP ms"
        " | read before DOMContentLoaded | read before FCP |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        for case in CASES:
            rows = [r for r in loads if r["rate"] == rate and r["case"] == case]
            first = [(r["reads"][0], r) for r in rows if r["reads"]]
            before_dcl = sum(1 for f, r in first if f["at"] < r["dcl"])
            before_fcp = sum(1 for f, r in first if r["fcp"] is not None and f["at"] < r["fcp"])
            print(
                f"| {rate:g}x | {case} | {spread([f['at'] for f, _ in first])} "
                f"| {spread([f['ms'] for f, _ in first])} "
                f"| {spread([r['dcl'] for r in rows])} "
                f"| {spread([r['fcp'] for r in rows if r['fcp'] is not None])} "
                f"| {before_dcl} of {len(rows)} | {before_fcp} of {len(rows)} |"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(loads, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
