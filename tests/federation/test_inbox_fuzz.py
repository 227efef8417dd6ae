"""Fuzzing the inbox of a real city node over real HTTP: 10,000 generated requests (malformed
JSON, wrong types, huge numbers, deep nesting, bad and missing signatures, keys on broken or
hostile servers, wrong digests, replays, oversize bodies), with correct signed activities
mixed in. Whatever arrives, the node answers with a 4xx or a 202, never a 5xx, and soon; a
refused request changes no table; every fresh correct activity is accepted and stored, and
processed afterwards without breaking the queue; `/healthz` keeps answering.

Hypothesis runs in a worker thread and hands each request to the test's event loop, which
keeps serving the node in between, as in production. The cases are derandomized, so CI runs
the same 10,000 every time. Signing costs little: most requests are signed once and mutated;
fresh signatures use Ed25519, and one in a few RSA (draft-cavage, as Mastodon signs)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import itertools
import json
import re
import socket
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from node.federation.http_signatures import sign_cavage, sign_rfc9421
from node.federation.integrity_proofs import ProofError, sign_document
from node.federation.multikey import encode_ed25519_multikey
from tests.federation.conftest import FederatedNode, Network
from tests.federation.mastodon_peer import MastodonPeer

HEALTH_EVERY = 100  # cases between two /healthz checks
ANSWER_WITHIN = 20  # seconds; the slowest correct answer (a 1 MiB body) takes milliseconds
MAX_BYTES = 1024 * 1024  # federation.max_document_kb, as shipped
KEY_CACHE = {"remote_actors", "remote_keys"}  # signers' public keys, fetched and cached by design
REFUSALS = {400, 401, 403, 413, 422}
ACCEPTED = "accepted for processing"
CAVAGE, RFC9421 = "cavage", "rfc9421"
INBOXES = ("/ap/inbox", "/ap/city/inbox", "/ap/actor/inbox")


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same cases on every run: CI is reproducible
        database=None,
        # No shrinking: a failing case is reported as generated (and, derandomized, reruns
        # the same), rather than replayed many times against a node that may be stuck.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


@dataclass
class FuzzPeer(MastodonPeer):
    """A remote server whose actor has an RSA key (cavage) and an Ed25519 Multikey (RFC 9421
    and eddsa-jcs-2022 proofs). Under /odd/<n> it also serves what a broken or hostile server
    might answer for an actor, for signatures that name such a key."""

    ed_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def ed_key_id(self) -> str:
        return f"{self.actor_uri}#ed25519-key"

    def actor_document(self) -> dict[str, Any]:
        document = super().actor_document()
        document["@context"].append("https://www.w3.org/ns/cid/v1")
        document["assertionMethod"] = [
            {
                "id": self.ed_key_id,
                "type": "Multikey",
                "controller": self.actor_uri,
                "publicKeyMultibase": encode_ed25519_multikey(self.ed_key.public_key()),
            }
        ]
        return document

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"/users/{self.username}", self._actor)
        app.router.add_post(f"/users/{self.username}/inbox", self._inbox)
        app.router.add_get("/odd/{n:[0-9]+}", self._odd_actor)
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()
        self.session = aiohttp.ClientSession()

    def odd_key_ids(self) -> list[str]:
        return [f"{self.base_url}/odd/{n}#main-key" for n in range(ODD_ACTORS)]

    async def _odd_actor(self, request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        uri = f"{self.base_url}/odd/{n}"
        key = self.actor_document()["publicKey"] | {"id": f"{uri}#main-key", "owner": uri}
        actor = {"id": uri, "type": "Person", "inbox": f"{uri}/inbox", "publicKey": key}
        answers: list[Any] = [
            actor | {"type": ["Person"]},
            actor | {"type": {"Person": 1}},
            actor | {"inbox": "http://[zz]/inbox"},
            actor | {"inbox": 5, "endpoints": "x"},
            actor | {"endpoints": {"sharedInbox": "http://[::1"}},
            actor | {"publicKey": [1, "x", {"id": 5}, key | {"publicKeyPem": "garbage"}]},
            actor | {"name": {"x": [1]}, "preferredUsername": ["a"]},  # the peer's own key
            actor
            | {
                "publicKey": [],
                "assertionMethod": [
                    # A megabyte of base58: decoding it naively takes minutes.
                    {"id": key["id"], "type": "Multikey", "controller": uri}
                    | {"publicKeyMultibase": "z" + "2" * 1_000_000},
                    {"id": key["id"], "type": "Multikey", "controller": uri}
                    | {"publicKeyMultibase": "z6Mk" + "0OIl" * 10},
                ],
            },
            [actor],
            "<html>not an actor</html>",
            web.HTTPFound(f"{self.base_url}/odd/{n}"),  # redirects to itself
            web.HTTPInternalServerError(),
        ]
        answer = answers[n % len(answers)]
        if isinstance(answer, web.HTTPException):
            raise answer
        if isinstance(answer, str):
            return web.Response(text=answer, content_type="text/html")
        return web.json_response(answer, content_type="application/activity+json")


ODD_ACTORS = 12


@dataclass
class Request:
    path: str
    body: bytes
    headers: dict[str, str] | list[tuple[str, str]]
    expect: frozenset[int] = frozenset(REFUSALS | {202})
    must_store: bool = False  # a fresh, correct activity: 202 and one new inbox item
    chunked: bool = False


class Sender:
    """Builds activities from the peer and signs requests to the city's inboxes."""

    def __init__(self, peer: FuzzPeer, city: FederatedNode) -> None:
        self.peer = peer
        self.city = city
        self._ids = itertools.count()
        self._paths = itertools.count()

    def new_id(self, what: str = "activities") -> str:
        return f"{self.peer.base_url}/{what}/{next(self._ids)}"

    def activity(self, kind: str) -> dict[str, Any]:
        peer, city = self.peer, self.city
        objects: dict[str, Any] = {
            "Create": {
                "id": self.new_id("notes"),
                "type": "Note",
                "attributedTo": peer.actor_uri,
                "content": "<p>hello</p>",
                "to": [city.city_uri],
            },
            "Update": {
                "id": f"{peer.base_url}/notes/0",
                "type": "Note",
                "attributedTo": peer.actor_uri,
                "content": "<p>edited</p>",
            },
            "Delete": {"id": f"{peer.base_url}/notes/0", "type": "Tombstone"},
            "Follow": city.city_uri,
            "Undo": {
                "id": f"{peer.base_url}/follows/0",
                "type": "Follow",
                "actor": peer.actor_uri,
                "object": city.city_uri,
            },
            "Accept": f"{city.base_url}/ap/activities/00000000-0000-0000-0000-000000000000",
            "Announce": f"{peer.base_url}/notes/0",
            "Like": f"{city.base_url}/ap/objects/00000000-0000-0000-0000-000000000000",
        }
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.new_id(),
            "type": kind,
            "actor": peer.actor_uri,
            "object": objects[kind],
            "to": [city.city_uri],
        }

    def prove(self, activity: dict[str, Any]) -> dict[str, Any]:
        return sign_document(activity, self.peer.ed_key, self.peer.ed_key_id)

    def sign(
        self,
        path: str,
        body: bytes,
        scheme: str,
        skew: float = 0.0,
        at: float | None = None,
    ) -> dict[str, str]:
        """Headers signing `body`, as of now plus `skew` seconds (or as of the time `at`)."""
        url = f"{self.city.base_url}{path}"
        headers = {"Content-Type": "application/activity+json"}
        signed_at = (time.time() if at is None else at) + skew
        if scheme == RFC9421:
            created = int(signed_at)
            key_id = self.peer.ed_key_id
            headers.update(sign_rfc9421("POST", url, {}, body, key_id, self.peer.ed_key, created))
        else:
            now = datetime.fromtimestamp(signed_at, UTC)
            key_id = self.peer.key_id
            headers.update(sign_cavage("POST", url, {}, body, key_id, self.peer.key, now))
        return headers

    def valid(self, kind: str = "Create", scheme: str = RFC9421, proof: bool = True) -> Request:
        """A fresh, correct activity, correctly signed: it must be accepted and stored."""
        activity = self.activity(kind)
        if proof:
            activity = self.prove(activity)
        body = json.dumps(activity).encode()
        path = INBOXES[next(self._paths) % len(INBOXES)]
        return Request(
            path,
            body,
            self.sign(path, body, scheme),
            frozenset({202}),
            must_store=kind not in NOT_KEPT,
        )


class InboxFuzzer:
    """Sends each request to the city and checks what it answered and what it stored."""

    def __init__(self, city: FederatedNode, session: aiohttp.ClientSession) -> None:
        self.city = city
        self.session = session
        self.db = city.federation.db
        self.cases = 0
        self.statuses: Counter[int] = Counter()
        self.stored_ids: set[str] = set()
        self.history: list[Request] = []  # accepted requests, for replays
        self._tables: list[str] = []
        self._counts: dict[str, int] = {}

    async def start(self) -> None:
        def names(conn) -> list[str]:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
            ).fetchall()
            return [row[0] for row in rows]

        self._tables = await self.db.read("fuzz_tables", names)
        self._counts = await self.counts()

    async def counts(self) -> dict[str, int]:
        select = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in self._tables)

        def count(conn) -> dict[str, int]:
            return dict(zip(self._tables, conn.execute(f"SELECT {select}").fetchone(), strict=True))

        return await self.db.read("fuzz_counts", count)

    async def healthy(self) -> None:
        async with self.session.get(f"{self.city.base_url}/healthz") as response:
            assert response.status == 200, await response.text()

    async def check(self, request: Request) -> None:
        status, answer = await self._send(request)
        self.cases += 1
        self.statuses[status] += 1
        assert status < 500, (status, answer, request.body[:300], request.headers)
        assert status in request.expect, (status, answer, request.body[:300], request.headers)
        after = await self.counts()
        changed = {
            name: after[name] - self._counts[name]
            for name in after
            if after[name] != self._counts[name] and name not in KEY_CACHE
        }
        self._counts = after
        if status == 202 and answer.get("status") == ACCEPTED:
            assert changed == {"inbox_items": 1}, (changed, request.body[:300])
            self.stored_ids.add(json.loads(request.body)["id"])
            self.history.append(request)
        else:
            assert not request.must_store, (status, answer, request.body[:300])
            assert changed == {}, (status, answer, changed, request.body[:300])
        if status != 202:
            assert isinstance(answer.get("detail"), str), (status, answer)
        if self.cases % HEALTH_EVERY == 0:
            await self.healthy()

    async def _send(self, request: Request) -> tuple[int, dict[str, Any]]:
        data: Any = request.body
        if request.chunked:

            async def chunks():
                for start in range(0, len(request.body), 256 * 1024):
                    yield request.body[start : start + 256 * 1024]

            data = chunks()
        url = f"{self.city.base_url}{request.path}"
        async with self.session.post(url, data=data, headers=request.headers) as response:
            text = await response.text(errors="replace")
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {"text": text}
        return response.status, answer if isinstance(answer, dict) else {"text": text}

    async def finish(self) -> None:
        """Every stored item came from an accepted request, and each is processed cleanly."""
        await self.healthy()

        def stored(conn) -> set[str]:
            return {r[0] for r in conn.execute("SELECT activity_uri FROM inbox_items")}

        assert await self.db.read("fuzz_stored", stored) == self.stored_ids
        self.city.federation.processor.start()
        await self.city.federation.processor.drain()

        def unprocessed(conn) -> int:
            return conn.execute(
                "SELECT count(*) FROM inbox_items WHERE processed_at IS NULL"
            ).fetchone()[0]

        assert await self.db.read("fuzz_unprocessed", unprocessed) == 0
        await self.healthy()


@dataclass
class Harness:
    city: FederatedNode
    peer: FuzzPeer
    blocked: FuzzPeer
    sender: Sender
    blocked_sender: Sender
    fuzzer: InboxFuzzer
    closed_port: int
    resends: itertools.count = field(default_factory=lambda: itertools.count(1))
    # Resends are signed as of ten minutes before the run, one second apart: never at the
    # second of another request with the same body, which would make the same signature.
    resend_base: float = field(default_factory=lambda: time.time() - 600)

    async def run(self, plans: st.SearchStrategy, build: Callable, examples: int) -> None:
        """Run `examples` generated cases; `build(plan)` turns a plan into a Request."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        @fuzz_settings(examples)
        @given(plan=plans)
        def property_(plan) -> None:
            request = build(plan)
            checked = asyncio.run_coroutine_threadsafe(self.fuzzer.check(request), loop)
            try:
                checked.result(timeout=ANSWER_WITHIN)
            except TimeoutError:
                raise AssertionError(
                    f"no answer within {ANSWER_WITHIN} s (the node is stuck): {request}"
                ) from None

        await asyncio.to_thread(property_)
        await self.fuzzer.finish()
        print(
            f"{self.fuzzer.cases} cases in {time.monotonic() - started:.1f} s;"
            f" statuses {dict(sorted(self.fuzzer.statuses.items()))};"
            f" stored {len(self.fuzzer.stored_ids)}"
        )


@pytest.fixture
async def harness(network: Network):
    city = await network.node("mons", city=True, federation_inbox_requests_per_minute="10000000")
    peer, blocked = FuzzPeer(username="mallory"), FuzzPeer(username="eve")
    await peer.start()
    await blocked.start()
    await city.peering.set_host_policy(f"127.0.0.1:{peer.port}", "allow")
    await city.peering.set_host_policy(f"127.0.0.1:{blocked.port}", "block")
    # Exact accounting: nothing but the inbox itself may write while we fuzz. The processor
    # runs at the end, over everything accepted.
    await city.federation.processor.stop()
    await city.federation.worker.stop()
    # A port that is bound but never listens: connecting to it is refused at once.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    fuzzer = InboxFuzzer(city, session)
    sender = Sender(peer, city)
    try:
        # Warm the key cache with one correct request per scheme, as any first contact would.
        await fuzzer.start()
        for scheme in (RFC9421, CAVAGE):
            await fuzzer.check(sender.valid(scheme=scheme))
        yield Harness(
            city, peer, blocked, sender, Sender(blocked, city), fuzzer, closed.getsockname()[1]
        )
    finally:
        closed.close()
        await session.close()
        await peer.close()
        await blocked.close()


# --- strategies -------------------------------------------------------------------------------

KINDS = st.sampled_from(["Create", "Update", "Delete", "Follow", "Undo", "Accept", "Announce"])
# Understood and answered 202, deliberately not kept (boosts and likes of the city's posts)
NOT_KEPT = frozenset({"Announce", "Like"})
SCHEMES = st.sampled_from([RFC9421, RFC9421, RFC9421, CAVAGE])
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53 - 2, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=24)
    | st.sampled_from(["http://127.0.0.1/x", "https://", "", "Note", "\u0000", "\ud800"])
)


def json_containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


JSON_VALUES = st.recursive(JSON_LEAVES, json_containers, max_leaves=8)
_TOP = ("id", "type", "actor", "object", "to", "cc", "published", "@context", "proof", "extra")
_OBJECT = ("id", "type", "attributedTo", "content", "name", "to", "endTime", "extra")
_PROOF = ("verificationMethod", "proofValue", "created", "type")
FIELDS = st.sampled_from(
    [*_TOP, *(f"object.{n}" for n in _OBJECT), *(f"proof.{n}" for n in _PROOF)]
)
NESTING = st.one_of(
    st.integers(1, 3000),
    st.sampled_from([62, 63, 64, 65, 400, 900, 990, 1000, 1100, 5000, 100_000, 250_000]),
)
# Raw JSON tokens that no Python value serialises to: huge numbers, non-numbers, deep nesting.
TOKENS = st.one_of(
    st.integers(16, 6000).map(lambda n: "9" * n),
    st.integers(16, 6000).map(lambda n: "-1" + "0" * n),
    st.integers(16, 400).map(lambda n: "1" + "0" * n + ".5"),
    st.sampled_from(["1e999", "-1e999", "1E400", "1e-400", "NaN", "Infinity", "-Infinity", "-0"]),
    st.tuples(NESTING, st.sampled_from("[{")).map(
        lambda p: "[" * p[0] + "]" * p[0] if p[1] == "[" else '{"a":' * p[0] + "0" + "}" * p[0]
    ),
)
PROOF_MODES = st.sampled_from(["none", "before", "after"])  # when the proof is signed
PLACEHOLDER = "\u0000fuzz\u0000"


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = document
    for name in parents:
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
    node[last] = value


def delete_path(document: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node: Any = document
    for name in parents:
        node = node.get(name) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


# --- 1. bodies --------------------------------------------------------------------------------

BODY_PLANS = st.one_of(
    st.tuples(st.just("valid"), KINDS, SCHEMES, st.booleans()),
    st.tuples(st.just("bytes"), st.binary(max_size=400)),
    st.tuples(st.just("text"), st.text(max_size=400)),
    st.tuples(st.just("truncate"), KINDS, st.integers(0, 2000)),
    st.tuples(st.just("top"), JSON_VALUES),
    st.tuples(st.just("replace"), KINDS, FIELDS, JSON_VALUES, PROOF_MODES),
    st.tuples(st.just("delete"), KINDS, FIELDS, PROOF_MODES),
    st.tuples(st.just("token"), KINDS, FIELDS, TOKENS, st.booleans()),
    st.tuples(st.just("type"), KINDS, JSON_VALUES | st.text(max_size=12), PROOF_MODES),
    st.tuples(st.just("url"), KINDS, FIELDS, st.integers(0, 9), PROOF_MODES),
    st.tuples(st.just("encoding"), KINDS, st.sampled_from(["latin-1", "utf-16", "bom", "bad"])),
)


def build_body(h: Harness, plan: tuple) -> Request:
    """A correctly signed request whose body is wrong (or, for "valid", right)."""
    s = h.sender
    kind = plan[0]
    if kind == "valid":
        return s.valid(plan[1], plan[2], plan[3])
    if kind == "bytes":
        body = plan[1]
    elif kind == "text":
        body = plan[1].encode("utf-8", "surrogatepass")
    elif kind == "truncate":
        whole = json.dumps(s.prove(s.activity(plan[1]))).encode()
        body = whole[: plan[2] % len(whole)]
    elif kind == "top":
        body = json.dumps(plan[1]).encode("utf-8", "surrogatepass")
    elif kind == "encoding":
        text = json.dumps(s.activity(plan[1]) | {"name": "Ça été"}, ensure_ascii=False)
        body = {
            "latin-1": lambda: text.encode("latin-1"),
            "utf-16": lambda: text.encode("utf-16"),
            "bom": lambda: b"\xef\xbb\xbf" + text.encode(),
            "bad": lambda: text.encode().replace("é".encode(), b"\xc3\x28"),
        }[plan[2]]()
    else:
        body = mutated_body(s, plan)
    pick = zlib.crc32(repr(plan).encode())  # the same for the same plan, on every run
    path = INBOXES[pick % len(INBOXES)]
    scheme = CAVAGE if pick % 5 == 0 else RFC9421
    return Request(path, body, s.sign(path, body, scheme))


def mutated_body(s: Sender, plan: tuple) -> bytes:
    """A correct activity with one field replaced, removed or given a raw token."""
    kind, activity_kind, *rest = plan
    activity = s.activity(activity_kind)
    mode = rest[-1] if kind != "token" else ("before" if rest[-1] else "none")
    if mode == "before":
        activity = s.prove(activity)
    if kind == "replace":
        set_path(activity, rest[0], copy.deepcopy(rest[1]))
    elif kind == "delete":
        delete_path(activity, rest[0])
    elif kind == "type":
        activity["type"] = rest[0]
    elif kind == "url":  # someone else's, or one that is barely a URL: origin checks
        peer, city = s.peer, s.city
        urls = [
            peer.actor_uri,
            f"{peer.base_url}/notes/x",
            f"{peer.base_url.replace('127.0.0.1', 'localhost')}/users/{peer.username}",
            city.city_uri,
            f"{city.base_url}/ap/objects/00000000-0000-0000-0000-000000000000",
            "http://127.0.0.1:1/users/x",
            "http://[zz]/x",
            "http://127.0.0.1:99999/x",
            "https://",
            "http://127.0.0.1/" + "x" * 3000,
        ]
        set_path(activity, rest[0], urls[rest[1]])
    else:  # token
        set_path(activity, rest[0], PLACEHOLDER)
    if mode == "after" and "proof" not in activity:
        # Not canonicalisable (e.g. an integer past 2^53): sent without a proof.
        with contextlib.suppress(ProofError, TypeError, ValueError):
            activity = s.prove(activity)
    text = json.dumps(activity)
    if kind == "token":
        text = text.replace(json.dumps(PLACEHOLDER), rest[1])
    return text.encode("utf-8", "surrogatepass")


async def test_inbox_survives_malformed_bodies(harness: Harness):
    await harness.run(BODY_PLANS, lambda plan: build_body(harness, plan), 4000)


# --- 2. signatures ----------------------------------------------------------------------------

HEADER_TEXT = st.text(  # what an HTTP client lets through: no control characters
    alphabet=st.characters(max_codepoint=0x24FF, exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    max_size=120,
)
SIGNATURE_HEADERS = {
    CAVAGE: ["Signature", "Digest", "Date"],
    RFC9421: ["Signature", "Signature-Input", "Content-Digest"],
}


def key_ids(h: Harness) -> st.SearchStrategy[str]:
    peer, city = h.peer, h.city
    return st.one_of(
        st.sampled_from(
            [
                peer.actor_uri,
                f"{peer.actor_uri}#nope",
                f"{peer.base_url}/users/nobody#main-key",
                f"{h.blocked.actor_uri}#main-key",
                f"{h.blocked.ed_key_id}",
                f"{city.city_uri}#main-key",
                f"{city.city_uri}#ed25519-key",
                f"{city.base_url}/ap/n/nope#main-key",
                f"http://127.0.0.1:{h.closed_port}/users/x#main-key",
                "http://[::1",
                "http://[zz]/x",
                "http://127.0.0.1:99999/a#k",
                "http://user:pw@127.0.0.1/a#k",
                "ftp://127.0.0.1/a",
                "urn:uuid:1",
                "#main-key",
                "x" * 5000,
                *h.peer.odd_key_ids(),
            ]
        ),
        HEADER_TEXT.filter(lambda t: '"' not in t and "\\" not in t),
        HEADER_TEXT.map(lambda t: f"{peer.base_url}/users/{t}#main-key"),
    )


# Signature parameters, and values that a parser must refuse without tripping over them.
PARAMETERS = ["keyid", "alg", "created", "expires", "signature", "headers"]
PARAMETER_VALUES = st.one_of(
    st.integers(16, 6000).map(lambda n: "9" * n),
    st.integers(-(10**16), 10**16).map(str),
    st.sampled_from(
        ["", "²", "١٢٣", "1.5", "1e9", "é", '"x"', "?1", ":AAAA:", "é==", "(", "hs2019"]
    ),
    HEADER_TEXT,
)


def signature_plans(h: Harness) -> st.SearchStrategy:
    header = st.sampled_from(["Signature", "Signature-Input", "Digest", "Content-Digest", "Date"])
    return st.one_of(
        st.tuples(st.just("valid"), SCHEMES),
        st.tuples(st.just("drop"), SCHEMES, st.integers(1, 7)),
        st.tuples(st.just("set"), SCHEMES, header, HEADER_TEXT),
        st.tuples(st.just("flip"), SCHEMES, st.integers(0, 600), st.integers(1, 255)),
        st.tuples(st.just("keyid"), SCHEMES, key_ids(h)),
        st.tuples(st.just("param"), SCHEMES, st.sampled_from(PARAMETERS), PARAMETER_VALUES),
        st.tuples(st.just("digest"), SCHEMES, PARAMETER_VALUES),
        st.tuples(st.just("body"), SCHEMES, st.binary(min_size=1, max_size=64)),
        st.tuples(st.just("clock"), SCHEMES, st.integers(-(10**7), 10**7)),
        st.tuples(st.just("target"), SCHEMES, st.sampled_from([*INBOXES, "/ap/inbox?x=1"])),
        st.tuples(st.just("duplicate"), SCHEMES, header),
        st.tuples(st.just("authorization"), st.just(CAVAGE), st.booleans()),
    )


WINDOW_PAST, WINDOW_FUTURE = 65 * 60, 60 * 60


def build_signature(h: Harness, bases: dict[str, Request], plan: tuple) -> Request:
    """A mutation of a request signed once, or a fresh one (for clock skew and controls)."""
    s = h.sender
    kind, scheme, *rest = plan
    if kind == "valid":
        return s.valid("Create", scheme)
    if kind == "clock":  # a fresh request, signed with a skewed clock
        request = s.valid("Create", scheme)
        skew = rest[0]
        request.headers = s.sign(request.path, request.body, scheme, skew=skew)
        if not -WINDOW_PAST + 60 < skew < WINDOW_FUTURE - 60:  # outside, or near the edge
            request.must_store = False
            outside = skew < -WINDOW_PAST - 60 or skew > WINDOW_FUTURE + 60
            request.expect = frozenset({401} if outside else {202, 401})
        return request
    base = bases[scheme]
    headers = dict(base.headers)  # type: ignore[arg-type]
    body, path = base.body, base.path
    refused = frozenset({401})
    expect = refused
    if kind == "drop":
        names = SIGNATURE_HEADERS[scheme]
        dropped = [name for bit, name in enumerate(names) if rest[0] & (1 << bit)]
        for name in dropped:
            headers.pop(name, None)
        expect = refused if dropped else frozenset(REFUSALS | {202})
    elif kind == "set":
        name, value = rest
        if name not in SIGNATURE_HEADERS[scheme]:
            expect = frozenset(REFUSALS | {202})  # a header this scheme does not use
        headers[name] = value
    elif kind == "flip":
        headers["Signature"] = flipped(headers["Signature"], scheme, *rest)
    elif kind == "keyid":
        headers = with_key_id(headers, scheme, rest[0], h)
        if rest[0] in (h.peer.key_id, h.peer.ed_key_id):
            expect = frozenset(REFUSALS | {202})
    elif kind == "param":
        headers = with_parameter(headers, scheme, *rest)
        expect = frozenset(REFUSALS | {202})  # e.g. cavage's algorithm="hs2019" still verifies
    elif kind == "digest":
        if scheme == CAVAGE:
            headers["Digest"] = f"SHA-256={rest[0]}"
        else:
            headers["Content-Digest"] = f"sha-256=:{rest[0]}:"
    elif kind == "body":
        body = body + rest[0]
    elif kind == "target":
        path = rest[0] if rest[0] != path else "/ap/inbox?x=1"
    elif kind == "duplicate":  # a header twice: its values are joined, which may still verify
        pairs = list(headers.items()) + [(n, v) for n, v in headers.items() if n == rest[0]]
        return Request(path, body, pairs)
    elif kind == "authorization":
        value = headers.pop("Signature")
        headers["Authorization"] = f"Signature {value}" if rest[0] else value
        expect = frozenset(REFUSALS | {202})  # a cavage signature may travel in Authorization
    return Request(path, body, headers, expect)


def flipped(signature: str, scheme: str, position: int, mask: int) -> str:
    encoded = signature.split('signature="')[1].rstrip('"') if scheme == CAVAGE else signature[6:-1]
    raw = bytearray(base64.b64decode(encoded))
    raw[position % len(raw)] ^= mask
    return signature.replace(encoded, base64.b64encode(bytes(raw)).decode())


def with_key_id(headers: dict[str, str], scheme: str, key_id: str, h: Harness) -> dict[str, str]:
    if scheme == CAVAGE:
        headers["Signature"] = headers["Signature"].replace(h.peer.key_id, key_id)
    else:
        headers["Signature-Input"] = headers["Signature-Input"].replace(h.peer.ed_key_id, key_id)
    return headers


def with_parameter(headers: dict[str, str], scheme: str, name: str, value: str) -> dict[str, str]:
    """The signature with one parameter set to `value`, verbatim (added if it was absent)."""
    if scheme == CAVAGE:
        params = dict(re.findall(r'(\w+)="([^"]*)"', headers["Signature"]))
        if name == "created":  # only looked at when covered
            params["headers"] = params["headers"].replace("date", "(created)")
        if name == "expires":
            params["headers"] += " (expires)"
        key = {"keyid": "keyId", "alg": "algorithm"}.get(name, name)
        params[key] = value
        headers["Signature"] = ",".join(f'{k}="{v}"' for k, v in params.items())
    elif name == "signature":
        headers["Signature"] = f"sig1=:{value}:"
    elif name == "headers":
        headers["Signature-Input"] = f"sig1=({value});created={int(time.time())}"
    else:
        signature_input = re.sub(rf";{name}=[^;]*", "", headers["Signature-Input"])
        headers["Signature-Input"] = f"{signature_input};{name}={value}"
    return headers


async def test_inbox_refuses_bad_and_missing_signatures(harness: Harness):
    s = harness.sender
    # Signed once each, then only mutated; never sent as they are.
    bases = {scheme: s.valid("Create", scheme) for scheme in (RFC9421, CAVAGE)}
    plans = signature_plans(harness)
    await harness.run(plans, lambda plan: build_signature(harness, bases, plan), 3500)


# --- 3. replays, duplicates, oversize bodies, blocked and unsigned senders --------------------

TRAFFIC = {  # kind of request: its weight among the cases
    "valid": 30,
    "replay": 15,  # an accepted request again, byte for byte
    "resend": 12,  # an accepted activity, signed anew
    "other-body": 8,  # an accepted request's signature over another body
    "oversize": 5,
    "at-limit": 3,
    "unsigned": 9,
    "blocked": 9,
    "empty": 9,
}
TRAFFIC_PLANS = st.tuples(
    st.sampled_from([kind for kind, weight in TRAFFIC.items() for _ in range(weight)]),
    KINDS | st.just("Like"),
    SCHEMES,
    st.booleans(),
    st.integers(0, 10**6),
)


def build_traffic(h: Harness, plan: tuple) -> Request:
    s, history = h.sender, h.fuzzer.history
    kind, activity_kind, scheme, flag, number = plan
    if kind in ("replay", "resend", "other-body") and history:
        old = history[number % len(history)]
        if kind == "replay":  # refused: the same signature twice
            return Request(old.path, old.body, old.headers, frozenset({401}))
        if kind == "resend":  # a duplicate, answered 202 and kept once
            headers = s.sign(old.path, old.body, scheme, at=h.resend_base - next(h.resends))
            return Request(old.path, old.body, headers, frozenset({202}))
        body = json.dumps(s.prove(s.activity(activity_kind.replace("Like", "Create")))).encode()
        return Request(old.path, body, old.headers, frozenset({401}))
    if kind == "oversize":  # a correct activity, too big, with or without Content-Length
        body = json.dumps(s.prove(s.activity("Create"))).encode()
        body += b" " * (MAX_BYTES - len(body) + 1 + number % 4096)
        headers = s.sign("/ap/inbox", body, scheme) if flag else {}
        return Request("/ap/inbox", body, headers, frozenset({413}), chunked=number % 2 == 0)
    if kind == "at-limit":  # exactly the largest body accepted
        request = s.valid("Create", scheme)
        request.body += b" " * (MAX_BYTES - len(request.body))
        request.headers = s.sign(request.path, request.body, scheme)
        return request
    if kind == "unsigned":
        body = json.dumps(s.prove(s.activity(activity_kind))).encode()
        headers = {"Content-Type": "application/activity+json"}
        return Request("/ap/inbox", body, headers, frozenset({401}))
    if kind == "blocked":
        blocked = h.blocked_sender
        body = json.dumps(blocked.prove(blocked.activity(activity_kind))).encode()
        headers = blocked.sign("/ap/inbox", body, scheme)
        return Request("/ap/inbox", body, headers, frozenset({403}))
    if kind == "empty":
        headers = s.sign("/ap/inbox", b"", scheme) if flag else {}
        return Request("/ap/inbox", b"", headers, frozenset({400}))
    return s.valid(activity_kind, scheme, proof=flag)  # "valid", or nothing yet to replay


async def test_inbox_refuses_replays_and_oversize_bodies_and_accepts_the_rest(harness: Harness):
    await harness.run(TRAFFIC_PLANS, lambda plan: build_traffic(harness, plan), 2500)
    # Correct activities were mixed in all along, and accepted: the refusals above are not
    # the node refusing everything.
    assert len(harness.fuzzer.stored_ids) > 300
