"""StepAhead's privacy policy as structured data: Latvian (authoritative) and two translations.

The texts live in ``content/policy.<lang>.json``, cleaned from the plain-text policy StepAhead
supplied (the Latvian file lists what was removed and why).
Loading checks that every translation has the same sections, blocks and list lengths as the
Latvian text, so a translation cannot silently drop or add a point.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal, NotRequired, TypedDict

from .i18n import DEFAULT_LANGUAGE, LANGUAGES

CONTENT = Path(__file__).resolve().parent / "content"


class Block(TypedDict):
    type: Literal["p", "list"]
    text: NotRequired[str]
    intro: NotRequired[str]
    items: NotRequired[list[str]]


class Section(TypedDict):
    id: str
    title: str
    blocks: list[Block]


class Policy(TypedDict):
    lang: str
    translation_of: str | None
    title: str
    notice: str | None
    source: str
    editorial_notes: list[str]
    sections: list[Section]


def _shape(policy: Policy) -> list[tuple[str, list[tuple[str, int]]]]:
    return [
        (s["id"], [(b["type"], len(b.get("items", []))) for b in s["blocks"]])
        for s in policy["sections"]
    ]


@cache
def load_policy(lang: str) -> Policy:
    """The policy in ``lang`` (one of LANGUAGES), checked against the Latvian original."""
    if lang not in LANGUAGES:
        raise ValueError(f"No privacy policy in {lang!r}; available: {', '.join(LANGUAGES)}")
    with (CONTENT / f"policy.{lang}.json").open(encoding="utf-8") as fh:
        policy: Policy = json.load(fh)
    if policy["lang"] != lang:
        raise ValueError(f"content/policy.{lang}.json says lang={policy['lang']!r}")
    if lang != DEFAULT_LANGUAGE:
        if policy["translation_of"] != DEFAULT_LANGUAGE or not policy["notice"]:
            raise ValueError(f"content/policy.{lang}.json must be marked as a translation")
        if _shape(policy) != _shape(load_policy(DEFAULT_LANGUAGE)):
            raise ValueError(
                f"content/policy.{lang}.json does not match the Latvian policy's structure"
            )
    return policy
