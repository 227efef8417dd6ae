"""Benchmark: the city delivers one signed survey to N destination inboxes (issue 6, 3).

For each N (16, 100, 1,000, 10,000 by default), a fresh city node in its own process has N
neighbourhood `Group`s on N other servers following it (their rows are written straight into
its database: actor, accepted follow, the RFC 9421 scheme those servers speak). City staff
then publish a 4-question survey to every neighbourhood with the product's own code
(`Surveys.create`: one `eddsa-jcs-2022` proof, schema, egress guard, one delivery row per
destination), and the node's delivery worker sends it. The receivers run in another process
(bench/fanout_receiver.py), one server per destination on its own loopback address, and
verify every HTTP signature and the proof. The figure: from the call to `Surveys.create` to
the moment the last destination has a valid delivery. The city's resident set size is sampled
meanwhile: the queue's memory is its peak minus its size just before publishing.

The baseline, in the same run: the same signed bytes sent to the same N receivers by a plain
aiohttp client (32 at a time, as `federation.delivery_concurrency`, each request signed with
RFC 9421 as the worker does), without the queue or the database.

    .venv/bin/python bench/fanout.py [--sizes 16,100,1000,10000] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import psutil
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout_receiver import address
from bench.harness import (
    BENCH,
    PYTHON,
    ROOT,
    Figure,
    RssSampler,
    ServerProcess,
    benchmark_parser,
    free_port,
    load,
    machine,
    mib,
    run_benchmark,
    wait_for_http,
)
from node.api.app_keys import ACCOUNTS, FEDERATION, REGISTER, SURVEYS
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.federation.http_signatures import sign_rfc9421
from node.federation.keys import load_keys
from node.federation.remote_fetch import ACTIVITY_JSON
from node.federation.signing import RFC9421
from node.models import Role
from node.models.federation import RemoteActor
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft
from node.storage import activities as activities_store
from node.storage import city_reports as city_reports_store
from node.storage import peers as peers_store
from node.storage import remote_actors as remote_actors_store
from node.storage.database import open_connection

CITY_ENV = {
    "QUARTIER_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
    "QUARTIER_CITY_ENABLED": "true",
    "QUARTIER_LOGGING_LEVEL": "WARNING",
}
QUESTIONS = (
    SurveyQuestion(
        "Which day suits the repair café?", QuestionKind.SINGLE, ("Saturday", "Sunday", "Wednesday")
    ),
    SurveyQuestion(
        "What should the park get?", QuestionKind.MULTIPLE, ("Benches", "Trees", "Lights")
    ),
    SurveyQuestion("How safe do you feel cycling here?", QuestionKind.SCALE, scale_max=5),
    SurveyQuestion("A message for the mayor?", QuestionKind.TEXT, shared=True),
)
CONCURRENCY = 32


# -- the city, one process per N ----------------------------------------------------------------


def add_followers(db_path: Path, count: int, port: int) -> None:
    """`count` neighbourhood Groups, each on its own server, following the city (accepted)."""
    now = int(time.time())
    conn = open_connection(db_path)
    with conn:
        for n in range(count):
            host = f"{address(n)}:{port}"
            uri = f"http://{host}/ap/n/hood{n}"
            document = {
                "id": uri,
                "type": "Group",
                "preferredUsername": f"hood{n}",
                "name": f"Neighbourhood {n}",
                "inbox": f"{uri}/inbox",
                "endpoints": {"sharedInbox": f"http://{host}/ap/inbox"},
            }
            actor = RemoteActor(
                uri=uri,
                host=host,
                type="Group",
                preferred_username=f"hood{n}",
                name=f"Neighbourhood {n}",
                inbox=f"{uri}/inbox",
                shared_inbox=f"http://{host}/ap/inbox",
                document=json.dumps(document),
                fetched_at=now,
            )
            remote_actors_store.put_remote_actor(conn, actor, {})
            peers_store.put_follow(conn, "inbound", "city", uri, f"{uri}#follow", "accepted", now)
            peers_store.put_signature_scheme(conn, host, RFC9421, now)
    conn.close()


async def publish_to_followers(app, question: dict) -> None:
    """The same survey, addressed to the city's followers collection, queued without the
    survey service: every following Group made a target and the deliveries chosen in SQL, as
    `CityBroadcast.publish` does for "every neighbourhood". The Question is built by the
    product (published to one local neighbourhood first, outside the clock) and goes out
    through the node's own Outbox (proof, schema, egress guard) and queue.
    """
    federation = app[FEDERATION]
    city = federation.actors.city()
    now = time.time()
    question = {**question, "to": [city.followers]}
    question.pop("audience", None)
    activity = federation.outbox.prepare(
        city, "Create", question, now, source="survey", to=[city.followers]
    )

    def enqueue(conn) -> int:
        city_reports_store.put_follower_groups_as_targets(conn, question["id"], city.key)
        return federation.outbox.enqueue_to_followers(
            conn, activity, city, targets_of=question["id"], public=False, now=now
        )

    await federation.db.write("enqueue_survey", enqueue)
    federation.outbox.wake()


async def city_process(args: argparse.Namespace) -> dict:
    add_followers(args.data / "quartier.sqlite3", args.followers, args.receiver_port)
    config = load_config(args.data, env=CITY_ENV)
    app = create_app(config)
    server = TestServer(app, host="127.0.0.1", port=args.city_port)
    await server.start_server()
    try:
        staff = await app[ACCOUNTS].create_user(
            "staff@mons.example", "City Staff", Role.CITY_STAFF, None, None
        )
        now = int(time.time())
        draft = SurveyDraft(
            title="The park and the repair café",
            intro="Tell us what you think. **Every answer counts.**",
            questions=QUESTIONS,
            answer_mode=AnswerMode.RESIDENT,
            opens_at=now,
            closes_at=now + 14 * 86_400,
            targets=Targets(everywhere=True),
        )
        if args.addressing == "followers":
            centre = await app[REGISTER].create_neighbourhood("Centre")
            local = await app[SURVEYS].create(
                staff, replace(draft, targets=Targets(local=(centre.id,)))
            )
            stored = await app[FEDERATION].db.read(
                "survey_object", activities_store.get_federated_object, local.object_uri
            )
            question = json.loads(stored[0])
        gc.collect()
        await asyncio.sleep(0.5)
        rss_before = psutil.Process().memory_info().rss
        with RssSampler(os.getpid(), interval=0.05) as sampler:
            started = time.monotonic()
            if args.addressing == "followers":
                await publish_to_followers(app, question)
            else:
                await app[SURVEYS].create(staff, draft)
            published = time.monotonic()
            control = f"http://127.0.0.1:{args.control_port}/wait?timeout={args.timeout}"
            timeout = aiohttp.ClientTimeout(total=args.timeout + 30)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(control) as response,
            ):
                state = await response.json()
        await app[FEDERATION].worker.drain()  # the last batch's outcomes recorded
        counts = await app[FEDERATION].db.read(
            "count_deliveries", activities_store.count_deliveries_by_state
        )
        document = await app[FEDERATION].db.read(
            "survey_activity",
            lambda conn: conn.execute(
                "SELECT a.document FROM activities a JOIN deliveries d ON d.activity_id = a.id"
                " ORDER BY a.id DESC LIMIT 1"
            ).fetchone()[0],
        )
    finally:
        await server.close()
    finished = state["hosts"] >= args.followers
    return {
        "followers": args.followers,
        "publish_s": published - started,
        "total_s": (state["last_at"] - started) if finished else None,
        "received": state["hosts"],
        "failures": state["failures"],
        "oversize": state["oversize"],
        "reasons": state["reasons"],
        "deliveries": counts,
        "rss_before": rss_before,
        "rss_peak": max(sampler.peak, rss_before),
        "body_bytes": len(document.encode()),
        "document": document,
    }


# -- the baseline: the same bytes, a plain client ---------------------------------------------


async def plain_fanout(body: bytes, count: int, port: int, keys_dir: Path, key_id: str) -> float:
    """Seconds to POST `body` to `count` receivers, 32 at a time, each request signed."""
    key = load_keys(keys_dir).ed25519
    queue = [f"http://{address(n)}:{port}/ap/inbox" for n in range(count)]
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while queue:
            url = queue.pop()
            headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
            headers.update(sign_rfc9421("POST", url, {}, body, key_id, key))
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                failures += response.status != 202

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=16)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
    assert failures == 0, f"{failures} baseline deliveries refused"
    return time.monotonic() - started


# -- the run -----------------------------------------------------------------------------------


ADDRESSINGS = {
    "groups": "published by city staff (Surveys.create, to every neighbourhood)",
    "followers": "the same Question queued directly (Outbox.prepare + enqueue_to_followers)",
}


async def one_fanout(
    session: aiohttp.ClientSession, args: argparse.Namespace, ports: dict, work: Path, n: int,
    addressing: str,
) -> dict:  # fmt: skip
    """A fresh city process publishes to `n` followers; then the plain client, same bytes."""
    control = f"http://127.0.0.1:{ports['control']}"
    data = work / f"city-{n}-{addressing}"
    shutil.copytree(work / "template", data)
    await (await session.post(f"{control}/expect?count={n}")).read()
    command = [PYTHON, str(BENCH / "fanout.py"), "--city-process", "--data", str(data)]
    command += ["--followers", str(n), "--addressing", addressing, "--timeout", str(args.timeout)]
    command += ["--city-port", str(ports["city"]), "--receiver-port", str(ports["receiver"])]
    command += ["--control-port", str(ports["control"])]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    shutil.rmtree(data, ignore_errors=True)
    if completed.returncode != 0:
        raise RuntimeError(f"city process failed:\n{completed.stderr[-4000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    body = result.pop("document").encode()
    total = result["total_s"]
    print(
        f"  N={n:,} {addressing}: {'not done' if total is None else f'{total:.2f} s'}"
        f" (publish {result['publish_s']:.2f} s), activity {result['body_bytes']:,} B,"
        f" memory +{mib(result['rss_peak'] - result['rss_before'])},"
        f" received {result['received']:,}, refused {result['failures']}, load {load()}",
        flush=True,
    )
    await (await session.post(f"{control}/expect?count={n}")).read()
    key_id = f"http://127.0.0.1:{ports['city']}/ap/city#ed25519-key"
    keys = work / "template" / "keys"
    result["baseline_s"] = await plain_fanout(body, n, ports["receiver"], keys, key_id)
    print(f"  N={n:,} {addressing}: plain client {result['baseline_s']:.2f} s", flush=True)
    return result


def fanout_figures(results: dict, timeout: int) -> list[Figure]:
    targets = {1_000: 3.0, 10_000: 30.0}
    figures = []
    for addressing, label in ADDRESSINGS.items():
        for n, r in results[addressing].items():
            if addressing == "followers" and n not in targets:
                continue  # in the notes
            total, target = r["total_s"], targets.get(n)
            figures.append(
                Figure(
                    "Fan-out",
                    f"survey to {n:,} inboxes, {label}: until all have it",
                    f"{total:.2f} s" if total is not None else f"not done in {timeout} s",
                    f"plain client {r['baseline_s']:.2f} s",
                    (
                        f"{total / r['baseline_s']:.1f}× the plain client;"
                        f" {n / total:,.0f} deliveries/s"
                        if total
                        else f"{r['received']:,} of {n:,} received"
                    ),
                    f"≤ {target:g} s" if target else "",
                    (total is not None and total <= target) if target else None,
                )
            )
        growth = {n: r["rss_peak"] - r["rss_before"] for n, r in results[addressing].items()}
        # Flat in N: the last tenfold in N adds (almost) nothing. What a small N already
        # uses is the queue's fixed working set, sized by configuration, not by N: a batch of
        # rows (`delivery.BATCH`, 500) and `federation.delivery_concurrency` connections.
        largest = max(growth)
        tenth = max((n for n in growth if n * 10 <= largest), default=None)
        slope = growth[largest] - growth[tenth] if tenth is not None else None
        figures.append(
            Figure(
                "Fan-out",
                f"city's memory during the fan-out (peak − before), {label}",
                ", ".join(f"{n:,}: +{mib(g)}" for n, g in growth.items()),
                "before: " + " … ".join(mib(r["rss_before"]) for r in results[addressing].values()),
                (
                    f"{tenth:,} → {largest:,}: {'−' if slope <= -(2**19) else '+'}{mib(abs(slope))}"
                    if slope is not None
                    else "needs sizes a tenfold apart"
                ),
                "flat in N (a tenfold N adds ≤ 4 MiB)",
                slope <= 4 * 2**20 if slope is not None else None,
            )
        )
    return figures


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    sizes = [int(n) for n in args.sizes.split(",")]
    scratch = tempfile.TemporaryDirectory(prefix="quartier-bench-fanout-")
    work = args.keep or Path(scratch.name)
    ports = {"city": free_port(), "receiver": free_port(), "control": free_port()}
    template = work / "template"
    init_node(template, f"http://127.0.0.1:{ports['city']}", "Mons")
    command = [PYTHON, str(BENCH / "fanout_receiver.py"), "--hosts", str(max(sizes))]
    command += ["--port", str(ports["receiver"]), "--control-port", str(ports["control"])]
    command += ["--keys", str(template / "keys")]
    receivers = ServerProcess(command, work / "receivers.log").start()
    notes = [f"machine: {machine()}"]
    results: dict[str, dict[int, dict]] = {addressing: {} for addressing in ADDRESSINGS}
    try:
        control = f"http://127.0.0.1:{ports['control']}/wait?timeout=0"
        await wait_for_http(control, receivers.started_at, timeout=120)
        async with aiohttp.ClientSession() as session:
            for n in sizes:
                for addressing in ADDRESSINGS:
                    results[addressing][n] = await one_fanout(
                        session, args, ports, work, n, addressing
                    )
    finally:
        receivers.stop()

    for addressing, label in ADDRESSINGS.items():
        notes.append(
            f"fan-out {label}, per N: "
            + "; ".join(
                f"{n:,}: {r['total_s'] or float('nan'):.2f} s (plain client"
                f" {r['baseline_s']:.2f} s), activity {r['body_bytes']:,} bytes, publish"
                f" (sign + enqueue) {r['publish_s']:.2f} s, deliveries {r['deliveries']},"
                f" refused {r['failures']}, over the 1 MiB a Quartier inbox accepts"
                f" {r['oversize']:,}"
                for n, r in results[addressing].items()
            )
        )
    scratch.cleanup()
    return fanout_figures(results, args.timeout), notes


def main() -> None:
    parser = benchmark_parser(__doc__, "work here and keep it")
    parser.add_argument("--sizes", default="16,100,1000,10000")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed for one N")
    # The city process (started by the run, once per N):
    parser.add_argument("--city-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--followers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--city-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--receiver-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--control-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--addressing", choices=ADDRESSINGS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.city_process:
        print(json.dumps(asyncio.run(city_process(args))))
        return
    run_benchmark(run, args)


if __name__ == "__main__":
    main()
