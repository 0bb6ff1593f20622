"""The visitor's receipt over HTTP: a page, its signed JSON, and the public keys to check it.

The receipt names the visitor's consent id, which page scripts must not learn (design.md), so
it is served to top-level navigations only: a ``fetch`` from a page script (``Sec-Fetch-Mode``
other than ``navigate``) or a frame (``Sec-Fetch-Dest`` ``iframe`` and the like) is refused,
the page cannot be framed, and ``Cross-Origin-Opener-Policy`` cuts it off from a window that
opened it. Browsers that send no ``Sec-Fetch-*`` headers (curl, old ones) get it as well: the
signed cookie is what authorises it, never an id in the URL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response, request, url_for

from .exceptions import json_response
from .ledger import receipts
from .pages import render
from .state import _ext
from .views import blueprint

PAGE_TEXTS = {
    "en": {
        "title": "Your consent receipt",
        "intro": "Every choice you made about cookies on this site, as we recorded it.",
        "controller": "Asked by",
        "consent_id": "Your consent id",
        "when": "When",
        "allowed": "Allowed",
        "refused": "Refused",
        "version": "Policy version",
        "how": "How",
        "proof": "Proof",
        "sealed": "sealed in the ledger (seal {seq})",
        "unsealed": "recorded, not sealed yet",
        "download": "Download the signed receipt (JSON)",
        "verify": "Anyone can check it with our public key",
        "none": "We have no record of a choice from this browser.",
    },
    "lv": {
        "title": "Jūsu piekrišanas apliecinājums",
        "intro": "Visas jūsu izvēles par sīkdatnēm šajā vietnē, kā mēs tās reģistrējām.",
        "controller": "Pārzinis",
        "consent_id": "Jūsu piekrišanas identifikators",
        "when": "Kad",
        "allowed": "Atļauts",
        "refused": "Atteikts",
        "version": "Politikas versija",
        "how": "Kā",
        "proof": "Pierādījums",
        "sealed": "aizzīmogots reģistrā (zīmogs {seq})",
        "unsealed": "reģistrēts, vēl nav aizzīmogots",
        "download": "Lejupielādēt parakstīto apliecinājumu (JSON)",
        "verify": "Ikviens to var pārbaudīt ar mūsu publisko atslēgu",
        "none": "Mums nav ierakstu par izvēli no šīs pārlūkprogrammas.",
    },
    "ru": {
        "title": "Ваше подтверждение согласия",
        "intro": "Все ваши решения о файлах cookie на этом сайте, как мы их записали.",
        "controller": "Оператор",
        "consent_id": "Ваш идентификатор согласия",
        "when": "Когда",
        "allowed": "Разрешено",
        "refused": "Отклонено",
        "version": "Версия политики",
        "how": "Как",
        "proof": "Доказательство",
        "sealed": "запечатано в реестре (печать {seq})",
        "unsealed": "записано, ещё не запечатано",
        "download": "Скачать подписанное подтверждение (JSON)",
        "verify": "Любой может проверить его нашим открытым ключом",
        "none": "У нас нет записей о выборе из этого браузера.",
    },
}


_FRAMES = frozenset({"iframe", "frame", "embed", "object", "fencedframe"})


def _navigation_only() -> Response | None:
    """Refuse what a page script could read: a fetch (its mode is never ``navigate``) or a
    frame. A download is a navigation with destination ``empty``: allowed."""
    mode = request.headers.get("Sec-Fetch-Mode")
    dest = request.headers.get("Sec-Fetch-Dest")
    if (mode is not None and mode != "navigate") or dest in _FRAMES:
        return json_response(
            403,
            {
                "error": "navigation_only",
                "message": "The receipt names your consent id, which scripts on the page may "
                "not read: open its link in the browser instead.",
            },
        )
    return None


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Cookie")
    return response


def _build() -> dict[str, Any] | None:
    """The signed receipt of the cookie's consent id, of this site's records only: a site
    signs for what it recorded, not for another site of the store under the same id."""
    ext = _ext()
    data = ext.read_cookie()
    if data is None:
        return None
    cfg = ext.config
    return receipts.build(
        ext.ledger,
        ext.keys,
        data.consent_id,
        controller=cfg.controller,
        policy_url=cfg.policy_url_for(cfg.default_language),
        site=cfg.site_id,
    )


@blueprint.get("/receipt.json")
def receipt_json() -> Response:
    """The signed receipt of the visitor holding the cookie (``?download=1``: as a file)."""
    refused = _navigation_only()
    if refused is not None:
        return _private(refused)
    document = _build()
    if document is None:
        return _private(
            json_response(404, {"error": "no_receipt", "message": PAGE_TEXTS["en"]["none"]})
        )
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    if request.args.get("download"):
        day = datetime.now(UTC).date().isoformat()
        response.headers["Content-Disposition"] = (
            f'attachment; filename="consent-receipt-{day}.json"'
        )
    return _private(response)


@blueprint.get("/receipt")
def receipt_page() -> Response:
    """The receipt for people: each decision, in the visitor's language where we have it."""
    refused = _navigation_only()
    if refused is not None:
        return _private(refused)
    ext = _ext()
    lang = ext.config.language(request.args.get("lang"))
    words = PAGE_TEXTS.get(lang, PAGE_TEXTS["en"])
    document = _build()
    receipt = document["receipt"] if document else None
    labels = {p.id: p.label(lang) for p in ext.config.purposes}
    entries = []
    for entry in receipt["records"] if receipt else []:
        content = entry["content"]
        chain = entry["chain"]
        entries.append(
            {
                "when": datetime.fromtimestamp(content["created_at"], UTC).strftime(
                    "%Y-%m-%d %H:%M UTC"
                ),
                "allowed": ", ".join(labels.get(p, p) for p in content["granted"]),
                "refused": ", ".join(labels.get(p, p) for p in content["refused"]) or "—",
                "version": content["policy_version"],
                "how": " / ".join(x for x in (content["source"], content["action"]) if x),
                "proof": words["sealed"].format(seq=chain["seal"]["seq"])
                if chain["status"] == "sealed"
                else words["unsealed"],
            }
        )
    html = render(
        "receipt.html",
        lang=lang,
        t=words,
        receipt=receipt,
        entries=entries,
        stylesheet=url_for("consent.stylesheet", v=ext.widget.versions["consent.css"]),
        download=url_for("consent.receipt_json", download=1),
        jwks=url_for("consent.jwks"),
    )
    return _private(Response(html, mimetype="text/html"))


@blueprint.get("/jwks.json")
def jwks() -> Response:
    """The public keys that verify receipts and seals, old ones included (RFC 7517 JWK set)."""
    response = Response(json.dumps(_ext().keys.jwks()), mimetype="application/jwk-set+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public keys, for any verifier
    return response
