"""Rendering the SDK's own pages (the receipt, the dashboard) from its own templates, never
the host's.

A blueprint's ``template_folder`` joins the app's one template namespace, where the host's
``templates/admin/…`` (common with other admin tools) would win over the SDK's. An overlay of
the app's Jinja environment with a loader of its own keeps Flask's globals, filters and
context processors and resolves names only among the SDK's files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import Environment, FileSystemLoader

_PACKAGE = Path(__file__).resolve().parent
LOADER = FileSystemLoader([str(_PACKAGE / "admin" / "templates"), str(_PACKAGE / "templates")])
"""The dashboard's templates, then the shared ones (``receipt.html``, ``consent_page.html``)."""
ENV_KEY = "consent_sdk.jinja"


def _environment() -> Environment:
    env = current_app.extensions.get(ENV_KEY)
    if env is None:
        env = current_app.jinja_env.overlay(loader=LOADER)
        current_app.extensions[ENV_KEY] = env
    return env


def render(name: str, **context: Any) -> str:
    """``name`` rendered with ``context`` and the app's template context (``url_for``, …)."""
    current_app.update_template_context(context)
    return _environment().get_template(name).render(context)
