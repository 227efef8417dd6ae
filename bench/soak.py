"""Benchmark: the soak of issue 6, minutes of mixed load on two federating nodes.

Two nodes, each in its own process as an operator runs it (`python -m node serve`), each with
its own SQLite database in a temporary directory, on 127.0.0.1:

- a city node (Mons, `city.enabled`), whose staff publish through its JSON API;
- a neighbourhood node (the node of bench/feed.py: `--posts` posts in "Centrum", 40,000 in two
  adjacent neighbourhoods, 2,600 residents) whose Centrum `Group` follows the city: a real
  Follow and Accept over HTTP first (bench/inbox.py's set-up, both nodes in this process),
  then both nodes are stopped and started as processes.

Then, for `--minutes`, all at once:

- feed reads: `--readers` concurrent residents (each request the next of 50 residents'
  sessions) read `/neighbourhood` (mostly), a post, the category filter, events, search,
  notifications, and open the city's messages they see on the feed (a counted view);
- writes, `--writes` a second in all: posts, comments and reactions, half through the web
  forms (with their CSRF token) and half through the JSON API (a token per resident), and
  answers to the city's events;
- federation: city staff publish an announcement every `--announce-every` seconds (one in
  five expires after 2 minutes, one in four is edited later, one in ten withdrawn) and an
  event every third time, through the city's API: signed and delivered by its worker to the
  neighbourhood node's inbox; the neighbourhood node reports views, event answers and its
  statistics back to the city (`participation.report_interval_minutes` = 1: every minute).

Recorded: every request and its status (an error: a 5xx, a status the action does not
expect, a connection error or a 30 s time-out); each node's resident set size every second;
feed-read latency; the delivery and inbox queues of both nodes every `--row-seconds`; at the
end, once the queues drained: whether every announcement (and its edit or withdrawal) reached
the neighbourhood node, whether every report reached the city, pending and dead deliveries,
and ERROR lines in both nodes' logs. Memory growth: RSS at the end of the load against RSS
after the warm-up (`--warmup` seconds after the load began), per node. With `--keep DIR`,
DIR keeps both nodes, their logs and requests.csv (every request: time, kind, ms, ok).

    .venv/bin/python bench/soak.py [--minutes 10] [--posts 20000] [--readers 20] [--writes 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feed import populate
from bench.feed_load import open_sessions
from bench.harness import (
    Figure,
    RssSampler,
    ServerProcess,
    benchmark_parser,
    free_port,
    load,
    machine,
    median,
    mib,
    ms,
    node_process,
    percentile,
    run_benchmark,
    wait_for_http,
)
from bench.inbox import settle, start
from node.api.app_keys import ACCOUNTS, PEERING
from node.api.middlewares import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from node.bootstrap import init_node
from node.models import Role

RESIDENTS = 50
NEIGHBOURHOOD_ENV = {
    "QUARTIER_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
    # Reports every minute instead of every 10: a soak of 10 minutes sees them flow.
    "QUARTIER_PARTICIPATION_REPORT_INTERVAL_MINUTES": "1",
}
CITY_ENV = {"QUARTIER_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true", "QUARTIER_CITY_ENABLED": "true"}
# The form's CSRF token: the node accepts any cookie of 32+ characters echoed in the form.
CSRF = "soak-" + "c" * 40
TIMEOUT = aiohttp.ClientTimeout(total=30)
ANNOUNCEMENT = (
    "Road works on the **Rue de la Station** from Monday to Friday: the street is closed to"
    " cars between the church and the school.\n\nBuses 1 and 4 stop at the temporary stops on"
    " the Place du Marché. Questions: the works office answers weekdays from 9 to 12."
)
WORDS = ("ladder", "voisin", "help", "merci", "fiets", "vélo", "chat", "perdu", "rue", "samedi",
         "tuin", "outil", "café", "parc")  # fmt: skip
POST_CATEGORIES = ("tip", "general", "help_request", "lost_found", "offer")


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


# -- set-up -------------------------------------------------------------------------------------


@dataclass
class Nodes:
    work: Path
    city_port: int
    node_port: int
    staff_token: str = ""
    sessions: list[str] = field(default_factory=list)
    api_tokens: list[str] = field(default_factory=list)

    @property
    def city_url(self) -> str:
        return f"http://127.0.0.1:{self.city_port}"

    @property
    def node_url(self) -> str:
        return f"http://127.0.0.1:{self.node_port}"

    @property
    def city_db(self) -> Path:
        return self.work / "city" / "quartier.sqlite3"

    @property
    def node_db(self) -> Path:
        return self.work / "node" / "quartier.sqlite3"


async def build(work: Path, posts: int) -> Nodes:
    """Both nodes, the neighbourhood's data, Centrum following the city, staff and residents
    with their credentials. The follow goes over HTTP, with both nodes in this process."""
    nodes = Nodes(work, free_port(), free_port())
    init_node(work / "city", nodes.city_url, "Mons")
    config = init_node(work / "node", nodes.node_url, "Mechelen")
    started = time.perf_counter()
    populate(config.database_path, posts)
    print(f"populated {posts:,} posts (+40,000 adjacent) in {time.perf_counter() - started:.0f} s")
    city = await start(work / "city", nodes.city_port, CITY_ENV)
    node = await start(work / "node", nodes.node_port, NEIGHBOURHOOD_ENV)
    try:
        await city.app[PEERING].set_host_policy(f"127.0.0.1:{nodes.node_port}", "allow")
        await node.app[PEERING].follow_city(f"city@127.0.0.1:{nodes.city_port}", ["centrum"])
        await settle(node, city)
        following = (await node.app[PEERING].overview()).following
        assert following and following[0].follow.state == "accepted", following
        staff = await city.app[ACCOUNTS].create_user(
            "staff@mons.example", "City Staff", Role.CITY_STAFF, None, None
        )
        _, nodes.staff_token = await city.app[ACCOUNTS].create_api_token(staff, "soak")
        accounts = node.app[ACCOUNTS]
        for i in range(1, RESIDENTS + 1):
            user = await accounts.user_by_email(f"r{i}@example.org")
            nodes.api_tokens.append((await accounts.create_api_token(user, "soak"))[1])
    finally:
        await city.close()
        await node.close()
    nodes.sessions = await open_sessions(config, RESIDENTS)
    return nodes


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Call:
    at: float  # seconds since the load began
    kind: str
    ms: float
    ok: bool


class Load:
    """Every request made, its outcome, and what the residents have seen so far."""

    def __init__(self, nodes: Nodes, session: aiohttp.ClientSession, seed: int = 1) -> None:
        self.nodes = nodes
        self.session = session
        self.rng = random.Random(seed)
        self.began = time.monotonic()
        self.calls: list[Call] = []
        self.errors: list[dict] = []
        self.stopping = asyncio.Event()
        self.post_ids: deque[int] = deque(maxlen=500)  # posts written during the soak
        self.messages: set[int] = set()  # city messages seen on the feed (announcements)
        self.events: set[int] = set()  # city events seen on the feed
        self.missing_views: list[tuple[float, int]] = []  # (time.time(), message id): a 404
        self.published: list[dict] = []  # the city's announcements, as its API returned them
        self.edited: dict[int, str] = {}  # announcement id -> its new title
        self.withdrawn: set[int] = set()
        self.city_events: list[dict] = []
        self.residents = itertools.cycle(range(RESIDENTS))

    def now(self) -> float:
        return time.monotonic() - self.began

    async def call(
        self,
        kind: str,
        method: str,
        url: str,
        expect: tuple[int, ...],
        headers: dict[str, str],
        allowed: tuple[int, ...] = (),
        **kwargs,
    ) -> tuple[int, str, dict]:
        """One request; anything but `expect` (or `allowed`, judged by the caller) is an
        error. Returns (status, body, headers); status 0 for a connection error."""
        at, started = self.now(), time.perf_counter()
        status, body, response_headers = 0, "", {}
        try:
            async with self.session.request(
                method, url, headers=headers, allow_redirects=False, **kwargs
            ) as response:
                status, body = response.status, await response.text()
                response_headers = dict(response.headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            body = f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        ok = status in expect
        self.calls.append(Call(at, kind, elapsed, ok or status in allowed))
        if not ok and status not in allowed:
            path = url.split("/", 3)[3] if url.count("/") >= 3 else url
            self.errors.append(
                {"at": round(at, 1), "kind": kind, "request": f"{method} /{path}",
                 "status": status, "body": " ".join(body.split())[:300]}
            )  # fmt: skip
        return status, body, response_headers

    # -- residents ----------------------------------------------------------------------------

    def _page_headers(self, resident: int) -> dict[str, str]:
        token = self.nodes.sessions[resident]
        return {"Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={CSRF}"}

    def _api_headers(self, resident: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.nodes.api_tokens[resident]}"}

    def _learn(self, page: str) -> None:
        self.messages.update(int(m) for m in re.findall(r'href="/city-messages/(\d+)"', page))
        self.events.update(int(m) for m in re.findall(r'href="/city-events/(\d+)"', page))

    async def reader(self, think: float) -> None:
        base = self.nodes.node_url
        reads = 0
        while not self.stopping.is_set():
            resident = next(self.residents)
            headers = self._page_headers(resident)
            roll = self.rng.random()
            if roll < 0.05 and self.messages:
                message = self.rng.choice(sorted(self.messages))
                status, _, _ = await self.call(
                    "view: city message", "GET", f"{base}/city-messages/{message}", (200,), headers,
                    allowed=(404,),
                )  # fmt: skip
                if status == 404:  # withdrawn or expired meanwhile? checked at the end
                    self.missing_views.append((time.time(), message))
                    self.messages.discard(message)
            elif roll < 0.12 and self.post_ids:
                post = self.rng.choice(self.post_ids)
                await self.call("post page", "GET", f"{base}/posts/{post}", (200,), headers)
            elif roll < 0.15:
                url = f"{base}/neighbourhood?category=help_request"
                await self.call("feed, a category", "GET", url, (200,), headers)
            elif roll < 0.17:
                await self.call("events", "GET", f"{base}/events", (200,), headers)
            elif roll < 0.19:
                url = f"{base}/search?q={self.rng.choice(WORDS)}"
                await self.call("search", "GET", url, (200,), headers)
            elif roll < 0.21:
                await self.call("notifications", "GET", f"{base}/notifications", (200,), headers)
            else:
                status, page, _ = await self.call(
                    "feed", "GET", f"{base}/neighbourhood", (200,), headers
                )
                reads += 1
                if status == 200 and reads % 5 == 1:
                    self._learn(page)
            if think:
                await asyncio.sleep(think * self.rng.uniform(0.5, 1.5))

    async def writer(self, interval: float) -> None:
        base = self.nodes.node_url
        await asyncio.sleep(self.rng.uniform(0, interval))
        while not self.stopping.is_set():
            resident = self.rng.randrange(RESIDENTS)
            form, api = self._page_headers(resident), self._api_headers(resident)
            roll = self.rng.random()
            if roll < 0.35 or len(self.post_ids) < 5:
                category = self.rng.choice(POST_CATEGORIES)
                title = _text(self.rng, 5).capitalize()
                body = _text(self.rng, self.rng.randint(10, 120))
                if roll < 0.2:
                    data = {CSRF_FIELD: CSRF, "category": category, "title": title, "body": body}
                    if category == "offer":
                        data["offer_kind"] = "give"
                    status, _, headers = await self.call(
                        "write: post (form)", "POST", f"{base}/posts", (303,), form, data=data
                    )
                    if status == 303:
                        self.post_ids.append(int(headers["Location"].rsplit("/", 1)[1]))
                else:
                    payload = {"category": category, "title": title, "body": body}
                    if category == "offer":
                        payload["offer_kind"] = "lend"
                    status, text, _ = await self.call(
                        "write: post (API)", "POST", f"{base}/api/v1/posts", (201,), api,
                        json=payload,
                    )  # fmt: skip
                    if status == 201:
                        self.post_ids.append(int(re.search(r'"id": ?(\d+)', text).group(1)))
            elif roll < 0.65:
                post, body = self.rng.choice(self.post_ids), _text(self.rng, 12)
                if roll < 0.5:
                    url, data = f"{base}/posts/{post}/comments", {CSRF_FIELD: CSRF, "body": body}
                    await self.call("write: comment (form)", "POST", url, (303,), form, data=data)
                else:
                    url = f"{base}/api/v1/posts/{post}/comments"
                    await self.call(
                        "write: comment (API)", "POST", url, (201,), api, json={"body": body}
                    )
            elif roll < 0.92:
                post = self.rng.choice(self.post_ids)
                kind = self.rng.choice(("thanks", "like", "support"))
                if roll < 0.78:
                    url, data = f"{base}/posts/{post}/reactions", {CSRF_FIELD: CSRF, "kind": kind}
                    await self.call("write: reaction (form)", "POST", url, (303,), form, data=data)
                else:
                    url = f"{base}/api/v1/posts/{post}/reactions"
                    await self.call(
                        "write: reaction (API)", "POST", url, (200,), api, json={"kind": kind}
                    )
            elif self.events:
                event = self.rng.choice(sorted(self.events))
                answer = self.rng.choice(("going", "going", "maybe", "none"))
                url = f"{base}/api/v1/city-events/{event}/rsvp"
                await self.call(
                    "write: event answer (API)", "PUT", url, (200,), api, json={"answer": answer}
                )
            await asyncio.sleep(interval * self.rng.uniform(0.5, 1.5))

    # -- the city -----------------------------------------------------------------------------

    async def city_staff(self, every: float) -> None:
        base, headers = self.nodes.city_url, {"Authorization": f"Bearer {self.nodes.staff_token}"}
        for n in itertools.count(1):
            if self.stopping.is_set():
                return
            payload = {"title": f"Road works, notice {n}", "body": ANNOUNCEMENT,
                       "all_neighbourhoods": True, "urgent": n % 7 == 0}  # fmt: skip
            if n % 5 == 0:
                payload["expires_at"] = int(time.time()) + 120
            status, text, _ = await self.call(
                "city: announcement", "POST", f"{base}/api/v1/announcements", (201,), headers,
                json=payload,
            )  # fmt: skip
            if status == 201:
                self.published.append(json.loads(text))
            lasting = [
                a
                for a in self.published[:-1]
                if a["expires_at"] is None and a["id"] not in self.withdrawn
            ]
            if n % 4 == 0 and lasting:
                target = self.rng.choice(lasting)
                title = f"{target['title'].split(' (')[0]} (update {n})"
                url = f"{base}/api/v1/announcements/{target['id']}"
                status, _, _ = await self.call(
                    "city: edit", "PUT", url, (200,), headers,
                    json={"title": title, "body": ANNOUNCEMENT + f"\n\nUpdated ({n})."},
                )  # fmt: skip
                if status == 200:
                    self.edited[target["id"]] = title
            if n % 10 == 0 and lasting:
                target = self.rng.choice(lasting)
                url = f"{base}/api/v1/announcements/{target['id']}"
                status, _, _ = await self.call("city: withdraw", "DELETE", url, (204,), headers)
                if status == 204:
                    self.withdrawn.add(target["id"])
            if n % 3 == 0:
                starts = int(time.time()) + 86_400 + n * 3600
                payload = {"title": f"Repair café {n}", "location": "Salle des fêtes, Nimy",
                           "description": "Bring what is broken: we mend it together.",
                           "starts_at": starts, "ends_at": starts + 7200,
                           "all_neighbourhoods": True}  # fmt: skip
                status, text, _ = await self.call(
                    "city: event", "POST", f"{base}/api/v1/city/events", (201,), headers,
                    json=payload,
                )  # fmt: skip
                if status == 201:
                    self.city_events.append(json.loads(text))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), every)


# -- watching -----------------------------------------------------------------------------------


def query(db: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def queues(nodes: Nodes) -> dict[str, int]:
    """Pending deliveries and unprocessed inbox items of both nodes, dead letters."""
    found = {}
    for name, db in (("city", nodes.city_db), ("node", nodes.node_db)):
        for state, count in query(db, "SELECT state, count(*) FROM deliveries GROUP BY state"):
            found[f"{name} {state}"] = count
        found[f"{name} inbox waiting"] = query(
            db, "SELECT count(*) FROM inbox_items WHERE processed_at IS NULL"
        )[0][0]
        found[f"{name} inbox errors"] = query(
            db, "SELECT count(*) FROM inbox_items WHERE error IS NOT NULL"
        )[0][0]
    return found


@dataclass
class Row:
    end: float  # seconds since the load began
    load: str
    queues: dict[str, int]


async def watch(traffic: Load, nodes: Nodes, row_s: float, rows: list[Row], samplers) -> None:
    """At the end of each row's interval: the machine's load and both nodes' queues."""
    for n in itertools.count(1):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(traffic.stopping.wait(), max(0, n * row_s - traffic.now()))
        if traffic.stopping.is_set():
            return
        row = Row(traffic.now(), load(), await asyncio.to_thread(queues, nodes))
        rows.append(row)
        calls = [c for c in traffic.calls if (n - 1) * row_s <= c.at < n * row_s]
        feed = [c.ms for c in calls if c.kind == "feed"]
        print(
            f"  {row.end / 60:4.1f} min: {len(calls):,} requests, {len(traffic.errors)} errors so"
            f" far, feed p50 {median(feed) if feed else 0:.1f} ms p99"
            f" {percentile(feed, 99) if feed else 0:.1f} ms; RSS node"
            f" {mib(samplers['node'].samples[-1])}, city {mib(samplers['city'].samples[-1])};"
            f" city published {len(traffic.published)}; queues {row.queues}; load {row.load}",
            flush=True,
        )


def rss_at(sampler: RssSampler, moment: float) -> int:
    """The last sample taken at or before `moment` (time.monotonic())."""
    found = 0
    for at, rss in zip(sampler.times, sampler.samples, strict=False):
        if at > moment:
            break
        found = rss
    return found


def log_lines(path: Path) -> tuple[list[str], Counter]:
    """ERROR lines (and tracebacks), and WARNING lines counted by their logger and start."""
    errors, warnings = [], Counter()
    for line in path.read_text(errors="replace").splitlines():
        if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
            errors.append(line)
        elif " WARNING " in line:
            warnings[" ".join(line.split(" WARNING ", 1)[1].split()[:6])] += 1
    return errors, warnings


# -- the run ------------------------------------------------------------------------------------


async def arrived(traffic: Load, nodes: Nodes) -> dict[str, int]:
    """What of the city's publications the neighbourhood node holds, as the city meant it."""
    rows = await asyncio.to_thread(
        query, nodes.node_db, "SELECT object_uri, title, withdrawn_at FROM city_messages"
    )
    held = {uri: (title, withdrawn) for uri, title, withdrawn in rows}
    counts = Counter()
    for a in traffic.published:
        found = held.get(a["object_uri"])
        counts["announcements"] += 1
        if found is None:
            counts["missing"] += 1
        elif a["id"] in traffic.withdrawn and found[1] is None:
            counts["withdrawal missing"] += 1
        elif a["id"] in traffic.edited and a["id"] not in traffic.withdrawn:
            counts["edit missing"] += found[0] != traffic.edited[a["id"]]
    for e in traffic.city_events:
        counts["events"] += 1
        counts["missing"] += e["object_uri"] not in held
    return counts


def withdrawn_on_city(nodes: Nodes) -> set[str]:
    return {
        uri
        for (uri,) in query(
            nodes.city_db, "SELECT uri FROM federated_objects WHERE deleted_at IS NOT NULL"
        )
    }


def _reports(nodes: Nodes) -> tuple[int, int, int]:
    """Report versions (sequence numbers) the neighbourhood node sent, how many of them the
    city holds, and the subjects left out: those the city withdrew, which refuses their
    reports (see `failed_items`)."""
    withdrawn = withdrawn_on_city(nodes)
    held = {
        (subject, kind): sequence
        for subject, kind, sequence in query(
            nodes.city_db, "SELECT subject_uri, kind, sequence FROM city_reports"
        )
    }
    sent = received = left_out = 0
    for subject, kind, sequence in query(
        nodes.node_db, "SELECT subject_uri, kind, sequence FROM report_state"
    ):
        if subject in withdrawn:
            left_out += 1
            continue
        sent += sequence
        received += min(sequence, held.get((subject, kind), 0))
    return sent, received, left_out


async def reports(nodes: Nodes) -> tuple[int, int, int]:
    return await asyncio.to_thread(_reports, nodes)


def failed_items(nodes: Nodes) -> tuple[list[str], list[str]]:
    """Inbox items either node could not process: (explained, unexplained). Explained: a
    report the city refused because it had withdrawn the announcement the report counts
    views of, while the report was on its way (the node stops reporting on a message once
    the Delete has reached it; one sent just before crosses the Delete)."""
    withdrawn = withdrawn_on_city(nodes)
    explained, unexplained = [], []
    for name, db in (("city", nodes.city_db), ("node", nodes.node_db)):
        for error, document in query(
            db, "SELECT error, document FROM inbox_items WHERE error IS NOT NULL"
        ):
            obj = json.loads(document).get("object")
            subject = obj.get("inReplyTo") if isinstance(obj, dict) else None
            if name == "city" and subject in withdrawn and "was not sent to" in error:
                explained.append(f"{name}: {error}")
            else:
                unexplained.append(f"{name}: {error}")
    return explained, unexplained


async def drained(traffic: Load, nodes: Nodes, timeout: float) -> tuple[float, bool]:
    """Wait until both queues are empty, everything published has arrived, and the city holds
    every report the node sent; (seconds waited, whether it did)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        q = await asyncio.to_thread(queues, nodes)
        waiting = sum(v for k, v in q.items() if k.endswith(("pending", "inbox waiting")))
        counts = await arrived(traffic, nodes)
        sent, held, _ = await reports(nodes)
        late = counts["missing"] + counts["withdrawal missing"] + counts["edit missing"]
        if not waiting and not late and sent == held:
            return time.monotonic() - started, True
        await asyncio.sleep(1)
    return time.monotonic() - started, False


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    scratch = tempfile.TemporaryDirectory(prefix="quartier-bench-soak-")
    work = args.keep or Path(scratch.name)
    try:
        return await soak(args, work)
    finally:
        if args.keep is None:
            scratch.cleanup()


async def soak(args: argparse.Namespace, work: Path) -> tuple[list[Figure], list[str]]:
    nodes = await build(work, args.posts)
    city = node_process(work / "city", nodes.city_port, work / "city.log", **CITY_ENV)
    node = node_process(work / "node", nodes.node_port, work / "node.log", **NEIGHBOURHOOD_ENV)
    processes: list[ServerProcess] = [city, node]
    notes = [f"machine: {machine()}"]
    rows: list[Row] = []
    try:
        for process, url in ((city, nodes.city_url), (node, nodes.node_url)):
            process.start()
            await wait_for_http(f"{url}/healthz", process.started_at)
        samplers = {
            "city": RssSampler(city.pid, interval=1.0),
            "node": RssSampler(node.pid, interval=1.0),
        }
        pids = {"city": city.pid, "node": node.pid, "bench": os.getpid()}
        cpu_before = {name: psutil.Process(pid).cpu_times() for name, pid in pids.items()}
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(
            connector=connector, timeout=TIMEOUT, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            traffic = Load(nodes, session)
            seconds = args.minutes * 60
            print(
                f"soak: {args.minutes:g} min, {args.readers} readers (think {args.think} s),"
                f" {args.writes} writes/s, an announcement every {args.announce_every} s;"
                f" load {load()}",
                flush=True,
            )
            with samplers["city"], samplers["node"]:
                traffic.began, began_at = time.monotonic(), time.time()
                began = traffic.began
                tasks = [
                    asyncio.create_task(traffic.reader(args.think)) for _ in range(args.readers)
                ]
                interval = args.writers / args.writes
                tasks += [
                    asyncio.create_task(traffic.writer(interval)) for _ in range(args.writers)
                ]
                tasks.append(asyncio.create_task(traffic.city_staff(args.announce_every)))
                tasks.append(
                    asyncio.create_task(watch(traffic, nodes, args.row_seconds, rows, samplers))
                )
                await asyncio.sleep(seconds)
                ended = time.monotonic()
                traffic.stopping.set()
                await asyncio.gather(*tasks)
                cpu_after = {name: psutil.Process(pid).cpu_times() for name, pid in pids.items()}
                drain_s, done = await drained(traffic, nodes, args.drain)
                await asyncio.sleep(2)
                idle = {name: s.samples[-1] for name, s in samplers.items()}
            counts = await arrived(traffic, nodes)
            sent, held, left_out = await reports(nodes)
            explained, unexplained = await asyncio.to_thread(failed_items, nodes)
            final_queues = await asyncio.to_thread(queues, nodes)
    finally:
        for process in processes:
            process.stop()
    exits = {name: p.process.returncode for name, p in (("city", city), ("node", node))}
    if args.keep is not None:  # every request, to lay beside the nodes' logs
        with (work / "requests.csv").open("w", newline="") as out:
            lines = csv.writer(out)
            lines.writerow(("time", "kind", "ms", "ok"))
            for c in traffic.calls:
                lines.writerow((f"{began_at + c.at:.3f}", c.kind, f"{c.ms:.2f}", int(c.ok)))
    logs = {name: log_lines(work / f"{name}.log") for name in ("city", "node")}

    # -- figures -------------------------------------------------------------------------------
    warm = began + args.warmup
    rss = {}  # per node: (after the warm-up, at the end, peak in between)
    for name, s in samplers.items():
        between = [r for t, r in zip(s.times, s.samples, strict=False) if warm <= t <= ended]
        rss[name] = (rss_at(s, warm), rss_at(s, ended), max(between, default=0))
    growth = {name: end / base - 1 for name, (base, end, _) in rss.items()}
    calls = traffic.calls
    feed = [c.ms for c in calls if c.kind == "feed"]
    first = [c.ms for c in calls if c.kind == "feed" and c.at < args.row_seconds]
    last = [c.ms for c in calls if c.kind == "feed" and c.at >= seconds - args.row_seconds]
    missing_views = await asyncio.to_thread(unexplained_404s, traffic, nodes)
    errors = len(traffic.errors) + len(missing_views)
    log_errors = sum(len(e) for e, _ in logs.values())
    dead = final_queues.get("city dead", 0) + final_queues.get("node dead", 0)
    pending = sum(v for k, v in final_queues.items() if k.endswith(("pending", "inbox waiting")))
    late = counts["missing"] + counts["withdrawal missing"] + counts["edit missing"]
    minutes = f"{args.minutes:g} min"
    writes = [c for c in calls if c.kind.startswith("write")]
    figures = [
        Figure(
            f"Soak, {minutes}",
            "requests, and errors (5xx, unexpected 4xx, connection errors)",
            f"{len(calls):,} requests, {errors} errors",
            f"{len(feed):,} feed reads, {len(writes):,} writes,"
            f" {sum(c.kind.startswith('city:') for c in calls)} by city staff",
            f"{len(calls) / seconds:,.0f} requests/s",
            "no error",
            errors == 0,
        ),
        *(
            Figure(
                f"Soak, {minutes}",
                f"RSS of the {label} node, end of the load",
                mib(rss[name][1]),
                f"after the warm-up ({args.warmup:g} s) {mib(rss[name][0])}",
                f"{growth[name]:+.1%} (peak {mib(rss[name][2])})",
                "growth ≤ 10%",
                growth[name] <= 0.10,
            )
            for name, label in (("node", "neighbourhood"), ("city", "city"))
        ),
        Figure(
            f"Soak, {minutes}",
            "feed reads, latency median / p99 (whole run)",
            f"{ms(median(feed))} / {ms(percentile(feed, 99))}",
            f"first row {ms(median(first))} / {ms(percentile(first, 99))}" if first else "",
            f"last row {ms(median(last))} / {ms(percentile(last, 99))}" if last else "",
        ),
        Figure(
            f"Soak, {minutes}",
            "city publications that reached the neighbourhood node, as published",
            f"{counts['announcements'] + counts['events'] - late}"
            f" of {counts['announcements'] + counts['events']}",
            f"{counts['announcements']} announcements ({len(traffic.edited)} edited,"
            f" {len(traffic.withdrawn)} withdrawn), {counts['events']} events",
            f"all in {drain_s:.0f} s after the load" if done else f"{late} late or lost",
            "all",
            late == 0,
        ),
        Figure(
            f"Soak, {minutes}",
            "reports that reached the city",
            f"{held} of {sent} report versions",
            f"{left_out} subjects withdrawn by the city meanwhile, not counted",
            "",
            "all",
            held == sent,
        ),
        Figure(
            f"Soak, {minutes}",
            "deliveries pending / dead, inbox items failed unexplained, at the end (both nodes)",
            f"{pending} / {dead} / {len(unexplained)}",
            f"city delivered {final_queues.get('city delivered', 0)},"
            f" node delivered {final_queues.get('node delivered', 0)}",
            f"{len(explained)} reports refused: their announcement was withdrawn meanwhile",
            "0 / 0 / 0",
            pending == dead == len(unexplained) == 0,
        ),
        Figure(
            f"Soak, {minutes}",
            "ERROR lines in the nodes' logs; exit codes",
            f"{log_errors}; city {exits['city']}, node {exits['node']}",
            "",
            "",
            "0; 0",
            log_errors == 0 and not any(exits.values()),
        ),
    ]
    kinds = Counter(c.kind for c in calls)
    notes += [
        f"soak: {args.minutes:g} min, {args.readers} readers (think time {args.think} s),"
        f" {args.writers} writers ({args.writes}/s in all), city staff every"
        f" {args.announce_every} s; {args.posts:,} posts in the neighbourhood (+40,000"
        f" adjacent); memory growth is RSS at the end of the load against RSS {args.warmup:g} s"
        " after it began",
        "requests by kind: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())),
        f"CPU used during the load: neighbourhood node"
        f" {_cpu(cpu_before['node'], cpu_after['node']) / seconds:.0%} of a core, city"
        f" {_cpu(cpu_before['city'], cpu_after['city']) / seconds:.1%}, this benchmark's"
        f" process (the clients) {_cpu(cpu_before['bench'], cpu_after['bench']) / seconds:.0%}",
        f"RSS idle after the load and the drain: neighbourhood {mib(idle['node'])}, city"
        f" {mib(idle['city'])}",
        f"queues at the end: {final_queues}",
        f"views of city messages answered 404 because the message had been withdrawn or had"
        f" expired meanwhile (expected): {len(traffic.missing_views) - len(missing_views)}",
    ]
    for name, (lines, warnings) in logs.items():
        if lines:
            notes.append(f"{name} log, ERROR lines ({len(lines)}): " + " | ".join(lines[:5]))
        if warnings:
            notes.append(
                f"{name} log, WARNING lines by kind: "
                + "; ".join(f"{w} ({n})" for w, n in warnings.most_common(5))
            )
    notes += [f"inbox item failed (unexplained): {e}" for e in unexplained[:5]]
    notes += [f"inbox item failed (explained, see above): {e}" for e in explained[:2]]
    if traffic.errors or missing_views:
        grouped = Counter((e["kind"], e["status"]) for e in traffic.errors)
        notes.append("errors by kind and status: " + str(dict(grouped)))
        notes += [f"error: {e}" for e in traffic.errors[:10]]
        notes += [f"error: a 404 on city message {m} at {t:.0f}" for t, m in missing_views[:5]]
    print()
    print(minute_table(traffic, rows, samplers, began, args.row_seconds, seconds))
    return figures, notes


def _cpu(before, after) -> float:
    return (after.user + after.system) - (before.user + before.system)


def unexplained_404s(traffic: Load, nodes: Nodes) -> list[tuple[float, int]]:
    """404s on a city message that was neither withdrawn nor expired when asked for."""
    found = []
    for asked_at, message in traffic.missing_views:
        row = query(
            nodes.node_db,
            "SELECT withdrawn_at, expires_at FROM city_messages WHERE id = ?",
            message,
        )
        withdrawn, expires = row[0] if row else (None, None)
        gone = (withdrawn is not None and withdrawn <= asked_at + 1) or (
            expires is not None and expires <= asked_at + 1
        )
        if not gone:
            found.append((asked_at, message))
    return found


def minute_table(traffic, rows, samplers, began, row_s, seconds) -> str:
    lines = [
        "| until (min:s) | requests | errors | feed reads | feed median / p99 | writes |"
        " city publications | RSS neighbourhood | RSS city | backlog: deliveries pending"
        " city / node, inbox waiting node / city | load average |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    n_rows = max(1, round(seconds / row_s))
    for n in range(n_rows):
        low, high = n * row_s, (n + 1) * row_s
        calls = [c for c in traffic.calls if low <= c.at < high]
        feed = [c.ms for c in calls if c.kind == "feed"]
        errors = sum(not c.ok for c in calls)
        row = rows[n] if n < len(rows) else None
        q = row.queues if row else {}
        backlog = (
            f"{q.get('city pending', 0)} / {q.get('node pending', 0)},"
            f" {q.get('node inbox waiting', 0)} / {q.get('city inbox waiting', 0)}"
            if row
            else "(end)"
        )
        lines.append(
            f"| {int(high // 60)}:{round(high % 60):02d} | {len(calls):,} | {errors}"
            f" | {len(feed):,} |"
            f" {ms(median(feed)) if feed else '-'} / {ms(percentile(feed, 99)) if feed else '-'}"
            f" | {sum(c.kind.startswith('write') for c in calls)}"
            f" | {sum(c.kind.startswith('city:') for c in calls)}"
            f" | {mib(rss_at(samplers['node'], began + high))}"
            f" | {mib(rss_at(samplers['city'], began + high))}"
            f" | {backlog} | {row.load if row else load()} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = benchmark_parser(__doc__, "build the nodes here and keep them (with requests.csv)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--posts", type=int, default=20_000, help="in the followed neighbourhood")
    parser.add_argument("--readers", type=int, default=20, help="concurrent feed readers")
    parser.add_argument("--think", type=float, default=0.1, help="a reader's pause, seconds")
    parser.add_argument("--writers", type=int, default=5, help="concurrent writers")
    parser.add_argument("--writes", type=float, default=3, help="writes per second in all")
    parser.add_argument("--announce-every", type=float, default=5, help="seconds, city staff")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the RSS base")
    parser.add_argument("--row-seconds", type=float, default=60, help="one table row per")
    parser.add_argument("--drain", type=float, default=150, help="seconds allowed to settle")
    args = parser.parse_args()
    run_benchmark(run, args)


if __name__ == "__main__":
    main()
