"""Vulnerability audit of the venv where pip-audit cannot look versions up.

pip-audit asks PyPI for each installed version (``/pypi/<name>/<version>/json``); a mirror
without those URLs (this project's CI machines) leaves everything unaudited. The project URL
(``/pypi/<name>/json``) still answers, with the advisories of the project's latest release:
so every installed package that *is* the latest release is audited from it, and every other
one is listed by name as not audited. Exit 1 on any known vulnerability.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from importlib import metadata

INDEX = "https://pypi.org/pypi"


def main() -> int:
    audited, behind, unknown, found = 0, [], [], []
    seen = set()
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        key = name.lower().replace("_", "-")
        if key in seen or key == "consent-sdk":
            continue
        seen.add(key)
        try:
            with urllib.request.urlopen(f"{INDEX}/{key}/json", timeout=30) as answer:
                project = json.load(answer)
        except OSError:
            unknown.append(name)
            continue
        if project["info"]["version"] != dist.version:
            behind.append(f"{name} {dist.version} (latest {project['info']['version']})")
            continue
        audited += 1
        for vuln in project.get("vulnerabilities") or []:
            found.append(f"{name} {dist.version}: {vuln.get('id')} {vuln.get('summary') or ''}")
    print(f"audited {audited} packages (installed = latest release) from PyPI's advisories")
    if behind:
        print(f"NOT audited, older than the latest release ({len(behind)}): " + "; ".join(behind))
    if unknown:
        print(f"NOT audited, unknown to the index ({len(unknown)}): " + ", ".join(unknown))
    for line in found:
        print(f"VULNERABLE {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
