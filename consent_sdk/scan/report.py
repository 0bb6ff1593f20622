"""The scan's reports: text for a terminal, JSON for machines, one self-contained HTML file."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from html import escape

from .findings import Finding, ScanResult
from .observe import CookieSeen, PhaseRecord


def _expiry(cookie: CookieSeen) -> str:
    if cookie.expires is None:
        return "session"
    return datetime.fromtimestamp(cookie.expires, UTC).strftime("%Y-%m-%d")


def describe_cookie(cookie: CookieSeen) -> str:
    """``_ga (analytics) 127.0.0.1/ until 2027-12-03, set by script http://…/a.js``."""
    purpose = cookie.purpose or "UNDECLARED"
    flags = ", HttpOnly" if cookie.http_only else ""
    flags += ", deleted again" if cookie.removed else ""
    return (
        f"{cookie.name} ({purpose}) {cookie.domain}{cookie.path} until {_expiry(cookie)}{flags}"
        f", set by {cookie.set_by}"
    )


def _finding_line(f: Finding) -> str:
    where = f" on {f.page}" if f.page else ""
    return f"{f.severity.upper()}: {f.message}{where}"


def text(result: ScanResult) -> str:
    """The terminal report: per page and phase what was stored and requested, then the
    findings and the verdict."""
    purposes = ", ".join(
        f"{p.id} (exempt)" if p.required else p.id for p in result.declarations.purposes
    )
    lines = [f"consent scan: {len(result.pages)} page(s); purposes {purposes}", ""]
    for page in result.pages:
        lines.append(page.url)
        for record in page.phases.values():
            lines += ["  " + record.title + ":", *_phase_lines(record)]
        if not page.has_banner:
            lines.append("  no consent banner: Reject all / Accept all not tried")
        lines.append("")
    for url, why in result.skipped:
        lines.append(f"skipped {url}: {why}")
    if result.skipped:
        lines.append("")
    for f in result.findings:
        lines.append(_finding_line(f))
    if result.findings:
        lines.append("")
    verdict = "FAILED" if result.violations else "passed"
    lines.append(
        f"{verdict}: {len(result.violations)} violation(s), {len(result.warnings)} warning(s)"
    )
    return "\n".join(lines) + "\n"


def _phase_lines(record: PhaseRecord) -> list[str]:
    out = [f"    cookie {describe_cookie(c)}" for c in record.cookies] or ["    no cookies"]
    if record.local_storage:
        out.append(f"    localStorage: {', '.join(record.local_storage)}")
    if record.session_storage:
        out.append(f"    sessionStorage: {', '.join(record.session_storage)}")
    for r in record.third_party:
        out.append(f"    request to another origin: {r.method} {r.url} ({r.resource_type})")
    return out


def to_json(result: ScanResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;overflow-wrap:anywhere}
.verdict{padding:.6rem 1rem;border-radius:.4rem;font-weight:600}
.failed{background:#fde2e1;color:#8a1c14}.passed{background:#dff3e4;color:#14532d}
.violation{color:#8a1c14}.warning{color:#7a4b00}
.phases{display:grid;grid-template-columns:repeat(auto-fill,minmax(28rem,1fr));gap:1rem}
.phase{border:1px solid #ccc;border-radius:.4rem;padding:.6rem}
.phase h3{margin:.2rem 0 .5rem;font-size:1rem}.phase img{width:100%;border:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;width:100%}
td,th{border-bottom:1px solid #eee;padding:.2rem .3rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
.undeclared{color:#8a1c14;font-weight:600}
"""


def html(result: ScanResult) -> str:
    """One HTML file with everything inline (styles, screenshots as data: URLs)."""
    verdict = "failed" if result.violations else "passed"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Consent scan</title>",
        f"<style>{CSS}</style></head><body><h1>Consent scan</h1>",
        f"<p class='verdict {verdict}'>{verdict.upper()}: {len(result.violations)} "
        f"violation(s), {len(result.warnings)} warning(s), {len(result.pages)} page(s)</p>",
    ]
    if result.findings:
        parts.append("<h2>Findings</h2><ul>")
        for f in result.findings:
            parts.append(f"<li class='{f.severity}'>{escape(_finding_line(f))}</li>")
        parts.append("</ul>")
    for page in result.pages:
        parts.append(f"<h2>{escape(page.url)}</h2><div class='phases'>")
        for record in page.phases.values():
            parts.append(_phase_html(record))
        parts.append("</div>")
    for url, why in result.skipped:
        parts.append(f"<p>Skipped {escape(url)}: {escape(why)}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _phase_html(record: PhaseRecord) -> str:
    out = [f"<section class='phase'><h3>{escape(record.title)}</h3>"]
    if record.screenshot:
        data = base64.b64encode(record.screenshot).decode("ascii")
        out.append(
            f"<img alt='the page {escape(record.title)}' src='data:image/jpeg;base64,{data}'>"
        )
    if record.cookies:
        out.append("<table><tr><th>cookie</th><th>purpose</th><th>set by</th></tr>")
        for c in record.cookies:
            purpose = (
                escape(c.purpose) if c.purpose else "<span class='undeclared'>undeclared</span>"
            )
            out.append(
                f"<tr><td>{escape(c.name)}<br><small>{escape(c.domain + c.path)}, "
                f"{_expiry(c)}{', HttpOnly' if c.http_only else ''}"
                f"{', deleted again' if c.removed else ''}</small></td>"
                f"<td>{purpose}</td><td>{escape(c.set_by)}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No cookies.</p>")
    for label, keys in (
        ("localStorage", record.local_storage),
        ("sessionStorage", record.session_storage),
    ):
        if keys:
            out.append(f"<p>{label}: {escape(', '.join(keys))}</p>")
    if record.third_party:
        out.append("<p>Requests to other origins:</p><ul>")
        out += [f"<li>{escape(r.method)} {escape(r.url)}</li>" for r in record.third_party]
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)
