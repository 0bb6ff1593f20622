"""The widget's files are gzipped by the blueprint when the request allows it (issue 17).

Compressed once per version, answered with ``Content-Encoding: gzip`` only when
``Accept-Encoding`` gives gzip a quality above 0, always with ``Vary: Accept-Encoding``, under
an ETag of its own (``<version>-gzip``) so that a cache never confuses the two
representations; both still answer 304 to their own ETag, and the immutable caching of a
``?v=`` URL is the same for both.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from flask import Flask

IMMUTABLE = "public, max-age=31536000, immutable"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _urls(app: Flask, client: Any) -> list[str]:
    versions = app.extensions["consent"].widget.versions
    bundled = client.get("/consent/consent.js?lang=lv").headers["ETag"].strip('"')
    return [
        f"/consent/consent.js?v={versions['consent.js']}",
        f"/consent/consent.css?v={versions['consent.css']}",
        f"/consent/consent.js?lang=lv&v={bundled}",
    ]


def test_gzip_is_answered_and_decompresses_to_the_identity_bytes(app: Flask, client: Any) -> None:
    for url in _urls(app, client):
        identity = client.get(url)
        zipped = client.get(url, headers=GZIP)
        assert identity.status_code == zipped.status_code == 200, url
        assert "Content-Encoding" not in identity.headers
        assert zipped.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(zipped.data) == identity.data, url
        assert len(zipped.data) < len(identity.data) / 2, url
        assert int(zipped.headers["Content-Length"]) == len(zipped.data)
        assert zipped.mimetype == identity.mimetype
        for answer in (identity, zipped):
            assert answer.headers["Cache-Control"] == IMMUTABLE, url
            assert "Accept-Encoding" in answer.headers["Vary"], url
        assert zipped.headers["ETag"] == identity.headers["ETag"][:-1] + '-gzip"'


def test_the_per_language_bundle_is_compressed_with_its_config(client: Any) -> None:
    zipped = client.get("/consent/consent.js?lang=lv", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(zipped.data).decode()
    assert text.startswith("(function(__CONSENT_CONFIG__){") and "Piekrist" in text
    assert zipped.headers["Cache-Control"] == "no-cache"  # no ?v=: revalidated


@pytest.mark.parametrize(
    "accept",
    [None, "gzip;q=0", "identity", "br", "deflate, gzip;q=0.0", "*;q=0", "gzip;q=0, *"],
)
def test_without_gzip_allowed_the_identity_bytes_are_answered(client: Any, accept: Any) -> None:
    headers = {} if accept is None else {"Accept-Encoding": accept}
    answer = client.get("/consent/consent.css", headers=headers)
    assert "Content-Encoding" not in answer.headers, accept
    assert not answer.headers["ETag"].endswith('-gzip"')
    assert answer.data[:2] != b"\x1f\x8b"
    assert "Accept-Encoding" in answer.headers["Vary"]


@pytest.mark.parametrize("accept", ["gzip", "gzip;q=0.5, identity", "*", "br;q=1, gzip;q=0.1"])
def test_gzip_allowed_by_any_positive_quality(client: Any, accept: str) -> None:
    answer = client.get("/consent/consent.js", headers={"Accept-Encoding": accept})
    assert answer.headers["Content-Encoding"] == "gzip", accept


def test_each_etag_answers_304_for_its_own_representation(app: Flask, client: Any) -> None:
    for url in _urls(app, client):
        identity = client.get(url)
        zipped = client.get(url, headers=GZIP)
        again = client.get(url, headers={"If-None-Match": identity.headers["ETag"]})
        assert again.status_code == 304, url
        assert "Accept-Encoding" in again.headers["Vary"]
        again = client.get(url, headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.headers["ETag"] == zipped.headers["ETag"]
        assert again.headers["Cache-Control"] == IMMUTABLE
        # The other representation's ETag is not a match: the full answer comes back.
        other = client.get(url, headers={**GZIP, "If-None-Match": identity.headers["ETag"]})
        assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"
        other = client.get(url, headers={"If-None-Match": zipped.headers["ETag"]})
        assert other.status_code == 200 and "Content-Encoding" not in other.headers


def test_head_answers_the_headers_of_the_gzipped_file(client: Any) -> None:
    get = client.get("/consent/consent.js", headers=GZIP)
    head = client.head("/consent/consent.js", headers=GZIP)
    assert head.status_code == 200 and head.data == b""
    for name in ("Content-Encoding", "Content-Length", "ETag", "Vary", "Cache-Control"):
        assert head.headers[name] == get.headers[name], name


def test_each_body_is_compressed_once(app: Flask, client: Any, monkeypatch: Any) -> None:
    calls: list[int] = []
    real = gzip.compress

    def counting(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        calls.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(gzip, "compress", counting)
    for _ in range(3):
        client.get("/consent/consent.js", headers=GZIP)
        client.get("/consent/consent.js?lang=lv", headers=GZIP)
    assert len(calls) == 2
    first = client.get("/consent/consent.js", headers=GZIP).data
    assert client.get("/consent/consent.js", headers=GZIP).data == first
