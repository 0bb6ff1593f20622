"""An iframe's placeholder says what is blocked ({content}) and why ({purpose})."""

from __future__ import annotations

from typing import Any

PLACEHOLDER = '[data-consent-ui="placeholder"]'


def placeholder_texts(page: Any) -> list[str]:
    page.locator(PLACEHOLDER).first.wait_for()
    return list(page.locator(f"{PLACEHOLDER} p").all_inner_texts())


def test_placeholder_names_the_iframes_title_or_host(site: Any, page: Any) -> None:
    # The site's own wording, with a "$&" that a string replacement would have expanded.
    text = "{content} is blocked ($&): it needs {purpose}."
    server = site("placeholders.html", CONSENT_TEXTS={"en": {"placeholder_text": text}})
    page.goto(server.url + "/")
    assert placeholder_texts(page) == [
        "Product video is blocked ($&): it needs Marketing.",
        "www.youtube-nocookie.com is blocked ($&): it needs Marketing.",
    ]


def test_built_in_placeholder_text_names_the_content(site: Any, page: Any) -> None:
    server = site("placeholders.html")
    page.goto(server.url + "/")
    titled, untitled = placeholder_texts(page)
    assert "Product video" in titled and "Marketing" in titled
    assert "www.youtube-nocookie.com" in untitled and "Marketing" in untitled
    assert "{" not in titled + untitled
