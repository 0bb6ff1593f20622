"""Fuzz the consent cookie against a gated view: no 5xx, no grant that was not given.

Run: .venv/bin/python benchmarks/fuzz_cookies.py      # 120,000 in process + 6,000 over HTTP
     .venv/bin/python benchmarks/fuzz_cookies.py --cases 12000 --http 0 --seed 7   # smoke

Every case is a ``Cookie`` header sent to ``GET /gated`` (``@requires_consent("analytics")``),
which answers the consent id it let in. Cases: random bytes as the consent cookie and as the
whole header; truncations, bit flips and base64 character swaps of genuine tokens; payloads
granting analytics re-signed with other keys and salts; genuine payloads with analytics added
under the genuine signature; genuine tokens beside other cookies holding odd bytes. A *grant
not given* is a 200 whose consent id is not one of a genuine token that grants analytics.
In process: WSGI calls with the test client's machinery (``run_wsgi_app``), ``TESTING`` off
so an exception is the 500 a visitor would get. Over HTTP: the same app under gunicorn
(2 workers) on 127.0.0.1, raw header bytes (all but CR and LF) through ``http.client``.
Exit status 1 if any 5xx or grant not given.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, got_request_exception, jsonify
from flask.typing import ResponseReturnValue
from itsdangerous import URLSafeSerializer
from werkzeug.test import EnvironBuilder, run_wsgi_app

from consent_sdk import ConsentManager, current_consent, requires_consent
from consent_sdk.testing import consent_cookie

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the gunicorn helper is imported from the repo
    sys.path.insert(0, str(REPO))

from tests.reliability.machinery import Gunicorn  # noqa: E402

KEY, SALT = "fuzz-secret-key", "consent_sdk.cookie"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Share of --cases per kind (sums to 1).
MIX = {
    "random bytes as the consent cookie": 0.16,
    "random bytes as the whole header": 0.12,
    "truncated genuine token": 0.12,
    "bit flips of a genuine token": 0.16,
    "base64 swaps in a genuine token": 0.08,
    "re-signed with another key": 0.08,
    "re-signed with another salt": 0.04,
    "genuine payload, analytics added": 0.08,
    "odd cookies beside a genuine token": 0.16,
}


def wsgi_app() -> Flask:
    """The app under test (gunicorn: ``benchmarks.fuzz_cookies:wsgi_app()``)."""
    instance = os.environ.get("FUZZ_INSTANCE") or tempfile.mkdtemp(prefix="consent-fuzz-")
    app = Flask(__name__, instance_path=instance)
    app.config.update(
        SECRET_KEY=KEY,
        CONSENT_DATABASE_URI=f"sqlite:///{Path(instance) / 'consent.db'}",
        CONSENT_CONTROLLER={"name": "Fuzz Ltd", "contact": "fuzz@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=[
            "necessary",
            {"id": "analytics", "cookies": ["_ga"]},
            {"id": "marketing", "cookies": ["_fbp"]},
        ],
    )
    ConsentManager(app)

    @app.get("/gated")
    @requires_consent("analytics")
    def gated() -> ResponseReturnValue:
        return jsonify(consent_id=current_consent.consent_id)

    logging.getLogger(app.name).setLevel(logging.CRITICAL)  # 500s are counted, not printed
    return app


@dataclass
class Case:
    kind: str
    header: bytes
    carries_grant: bool = False  # an unmodified genuine token granting analytics is in it
    expect_grant: bool = False  # ... and nothing beside it that a cookie parser may trip on


@dataclass
class Tally:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    server_errors: list[tuple[str, int, bytes, str]] = field(default_factory=list)
    grants_not_given: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    mutations_verified: Counter[str] = field(default_factory=Counter)
    genuine_refused: Counter[str] = field(default_factory=Counter)
    carrying: Counter[str] = field(default_factory=Counter)
    carrying_honoured: Counter[str] = field(default_factory=Counter)

    def add(self, case: Case, status: int, body: bytes, genuine: dict[str, bool], err: str) -> None:
        self.cases[case.kind] += 1
        self.statuses[(case.kind, status)] += 1
        if status >= 500:
            self.server_errors.append((case.kind, status, case.header[:200], err))
        elif status == 200:
            try:
                consent_id = json.loads(body)["consent_id"]
            except (ValueError, KeyError, TypeError):
                consent_id = None
            if not genuine.get(consent_id):
                self.grants_not_given.append((case.kind, case.header[:300], body[:200]))
            elif not case.carries_grant:
                # A variant of a genuine token that verifies: the very payload that was
                # signed (lenient base64 of the signature), so nothing new is granted.
                self.mutations_verified[case.kind] += 1
        elif case.expect_grant:
            self.genuine_refused[case.kind] += 1
        if case.carries_grant:
            self.carrying[case.kind] += 1
            if status == 200:
                self.carrying_honoured[case.kind] += 1


class Fuzzer:
    def __init__(self, app: Flask, rng: random.Random, genuine_tokens: int = 400) -> None:
        self.rng = rng
        self.genuine: dict[str, bool] = {}  # consent id -> grants analytics
        self.tokens: list[tuple[str, bool]] = []
        for i in range(genuine_tokens):
            grants = i % 2 == 0
            consent_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            granted = ["analytics"] if grants else []
            token = consent_cookie(app, *granted, consent_id=consent_id)
            self.genuine[consent_id] = grants
            self.tokens.append((token, grants))

    def _token(self, grants: bool | None = None) -> str:
        while True:
            token, g = self.rng.choice(self.tokens)
            if grants is None or g == grants:
                return token

    def _bytes(self, n: int) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, n)))

    def _payload(self, grants: bool) -> dict[str, Any]:
        return {
            "c": str(uuid.uuid4()),
            "g": ["analytics", "necessary"] if grants else ["necessary"],
            "d": ["marketing"] if grants else ["analytics", "marketing"],
            "v": "1",
            "t": int(time.time()),
        }

    def case(self, kind: str) -> Case:
        r = self.rng
        if kind == "random bytes as the consent cookie":
            return Case(kind, b"consent=" + self._bytes(300))
        if kind == "random bytes as the whole header":
            return Case(kind, self._bytes(400))
        if kind == "truncated genuine token":
            token = self._token(True)
            return Case(kind, b"consent=" + token[: r.randrange(len(token))].encode())
        if kind == "bit flips of a genuine token":
            raw = bytearray(self._token(True).encode())
            for _ in range(r.randint(1, 4)):
                raw[r.randrange(len(raw))] ^= 1 << r.randrange(8)
            return Case(kind, b"consent=" + bytes(raw))
        if kind == "base64 swaps in a genuine token":
            chars = list(self._token(True))
            for _ in range(r.randint(1, 3)):
                chars[r.randrange(len(chars))] = r.choice(B64 + "+/=.")
            if r.random() < 0.2:
                chars.append("=" * r.randint(1, 3))
            return Case(kind, b"consent=" + "".join(chars).encode())
        if kind == "re-signed with another key":
            key = self._bytes(40) or b"k"
            token = _sign(self._payload(True), key if key != KEY.encode() else b"other", SALT)
            return Case(kind, b"consent=" + token.encode())
        if kind == "re-signed with another salt":
            salt = r.choice(["", "consent_sdk", "consent_sdk.cookie ", "itsdangerous", "x" * 20])
            return Case(kind, b"consent=" + _sign(self._payload(True), KEY, salt).encode())
        if kind == "genuine payload, analytics added":
            token = self._token(False)
            signature = token.rsplit(".", 1)[1]
            payload = _serializer(KEY, SALT).loads(token)
            payload["g"] = sorted({*payload["g"], "analytics"})
            payload["d"] = (
                [p for p in payload["d"] if p != "analytics"] if r.random() < 0.5 else payload["d"]
            )
            forged_body = _sign(payload, b"guess", SALT).rsplit(".", 1)[0]
            return Case(kind, f"consent={forged_body}.{signature}".encode())
        if kind == "odd cookies beside a genuine token":
            grants = r.random() < 0.5
            token = self._token(grants)
            others = [
                r.choice([b"session", b"_ga", b"lang", b"x", b"consent_choice"])
                + b"="
                + self._bytes(60).replace(b";", b"")
                for _ in range(r.randint(1, 4))
            ]
            at = r.randint(0, len(others))
            parts = [*others[:at], b"consent=" + token.encode(), *others[at:]]
            # Only "token-clean" neighbours are expected to leave the genuine grant intact.
            clean = all(_clean(o) for o in others)
            return Case(
                kind, b"; ".join(parts), carries_grant=grants, expect_grant=grants and clean
            )
        raise ValueError(kind)

    def cases(self, total: int) -> Iterator[Case]:
        kinds = [k for k, share in MIX.items() for _ in range(round(share * 1000))]
        self.rng.shuffle(kinds)
        for i in range(total):
            yield self.case(kinds[i % len(kinds)])


def _clean(cookie: bytes) -> bool:
    value = cookie.split(b"=", 1)[1]
    return all(0x21 <= c <= 0x7E and c not in b'";,\\' for c in value)


def _serializer(key: str | bytes, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})


def _sign(payload: Any, key: str | bytes, salt: str) -> str:
    return str(_serializer(key, salt).dumps(payload))


def run_in_process(app: Flask, fuzzer: Fuzzer, total: int) -> tuple[Tally, float]:
    tally = Tally()
    errors: list[str] = []
    got_request_exception.connect(
        lambda _s, exception, **_k: errors.append(repr(exception)[:200]), app, weak=False
    )
    base = EnvironBuilder(path="/gated").get_environ()
    start = time.perf_counter()
    for case in fuzzer.cases(total):
        environ = dict(base)
        environ["HTTP_COOKIE"] = case.header.decode("latin-1")  # as a WSGI server passes it
        del errors[:]
        app_iter, status, _headers = run_wsgi_app(app, environ, buffered=True)
        body = b"".join(app_iter)
        tally.add(case, int(status.split()[0]), body, fuzzer.genuine, errors[0] if errors else "")
    return tally, time.perf_counter() - start


def run_over_http(fuzzer: Fuzzer, total: int, instance: str) -> tuple[Tally, float]:
    server = Gunicorn(
        {"FUZZ_INSTANCE": instance},
        Path(instance),
        workers=2,
        app="benchmarks.fuzz_cookies:wsgi_app()",
        ready_path=None,
    )
    port = server.port
    try:
        tally = Tally()
        cases = [
            Case(
                c.kind,
                c.header.replace(b"\r", b"").replace(b"\n", b""),
                c.carries_grant,
                c.expect_grant,
            )
            for c in fuzzer.cases(total)
        ]
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            for case, (status, body) in zip(
                cases, pool.map(lambda c: _send(port, c.header), cases), strict=True
            ):
                tally.add(case, status, body, fuzzer.genuine, "")
        return tally, time.perf_counter() - start
    finally:
        server.stop()


def _send(port: int, header: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest("GET", "/gated")
        if header:
            conn.putheader("Cookie", header)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def report(title: str, tally: Tally, seconds: float) -> bool:
    total = sum(tally.cases.values())
    print(f"\n{title}: {total:,} cases in {seconds:.1f} s ({total / seconds:,.0f}/s)")
    print(f"  {'kind':<38} {'cases':>7}  statuses")
    for kind in MIX:
        statuses = {s: n for (k, s), n in sorted(tally.statuses.items()) if k == kind}
        print(f"  {kind:<38} {tally.cases[kind]:>7,}  {statuses}")
    print(f"  5xx: {len(tally.server_errors)}")
    for kind, status, header, err in tally.server_errors[:3]:
        print(f"    {status} {kind}: Cookie: {header!r} {err}")
    print(f"  grants not given: {len(tally.grants_not_given)}")
    for kind, header, body in tally.grants_not_given[:3]:
        print(f"    {kind}: Cookie: {header!r} -> {body!r}")
    print(
        "  variants of genuine tokens that verified to the signed payload (nothing new granted): "
        f"{dict(tally.mutations_verified)}"
    )
    print(f"  genuine analytics grants beside clean cookies refused: {dict(tally.genuine_refused)}")
    for kind, n in tally.carrying.items():
        honoured = tally.carrying_honoured[kind]
        print(
            f"  genuine analytics grants beside odd bytes honoured: {honoured:,} of {n:,}"
            " (the rest: 403, the gate errs on 'not granted', or 400 from gunicorn's header check)"
        )
    return not tally.server_errors and not tally.grants_not_given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=120_000, help="in-process cases")
    parser.add_argument("--http", type=int, default=6_000, help="cases over HTTP (0: none)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    instance = tempfile.mkdtemp(prefix="consent-fuzz-")
    os.environ["FUZZ_INSTANCE"] = instance
    app = wsgi_app()
    fuzzer = Fuzzer(app, random.Random(args.seed))
    ok = report("in process (WSGI)", *run_in_process(app, fuzzer, args.cases))
    if args.http:
        fuzzer.rng.seed(args.seed + 1)
        ok = (
            report("over HTTP (gunicorn, 2 workers)", *run_over_http(fuzzer, args.http, instance))
            and ok
        )
    print("\nresult:", "held (0 5xx, 0 grants not given)" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
