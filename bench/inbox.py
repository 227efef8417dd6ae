"""Benchmark: signed activities accepted per second by one node's inbox (issue 6, 2).

Two real nodes on 127.0.0.1: a city (the sender, in this process) and a neighbourhood node
whose neighbourhood follows it (a real Follow and Accept between them first). The
neighbourhood node then runs on its own, as an operator runs it (`python -m node serve`).

The city prepares `--activities` announcements with the project's own code, before the clock
starts: each a `Create{Note}` with its own id, an `eddsa-jcs-2022` proof (Outbox.prepare,
which also checks the schema) and an RFC 9421 ed25519 HTTP signature (RequestSigner), the way
its delivery worker sends them. wrk (-t2 -c50, 50 concurrent senders) posts each one once to
the node's shared inbox, which checks everything and answers 202. The figure is 202s per
second; the node's inbox processor runs meanwhile, as it always does.

The floor, in the same run: one Ed25519 verification + one RFC 8785 canonicalisation + one
schema validation (the node's SchemaRegistry, compiled) of the same activity, in a plain loop.
And the ceiling, in the same run: the same wrk load against bench/inbox_ceiling.py, an aiohttp
server that only reads each body, makes one Ed25519 verification and answers 202, served the
way the node is. What it reaches bounds any inbox built on aiohttp on this machine.

    .venv/bin/python bench/inbox.py [--activities 40000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import rfc8785
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    BENCH,
    Figure,
    RssSampler,
    benchmark_parser,
    free_port,
    inbox_ceiling_process,
    load,
    machine,
    mib,
    ms,
    node_process,
    require_wrk,
    run_benchmark,
    run_wrk,
    wait_for_http,
)
from node.api.app_keys import FEDERATION, PEERING, REGISTER
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.federation.integrity_proofs import _hash_data
from node.federation.multikey import base58btc_decode
from node.federation.outbox import iso_now
from node.federation.remote_fetch import ACTIVITY_JSON
from node.federation.signing import RFC9421
from node.schema_registry import SchemaRegistry

NODE_ENV = {
    "QUARTIER_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
    # The default (600 a minute per sending server) is the node's flood guard: the benchmark
    # measures what the pipeline can take, so it lifts it.
    "QUARTIER_FEDERATION_INBOX_REQUESTS_PER_MINUTE": "100000000",
}
CONTENT = (
    "<p>Road works on the <strong>Rue de la Station</strong> from Monday 6 to Friday 17: the"
    " street is closed to cars between the church and the school. Buses 1 and 4 stop at the"
    " temporary stops on the Place du Marché. Residents reach their garages from the north."
    " Questions: the works office answers on 065 40 40 40, weekdays from 9 to 12.</p>"
)


async def start(data_dir: Path, port: int, env: dict[str, str]) -> TestServer:
    config = load_config(data_dir, env=env)
    server = TestServer(create_app(config), host="127.0.0.1", port=port)
    await server.start_server()
    return server


async def settle(*servers: TestServer, rounds: int = 20) -> None:
    """Process and deliver on both nodes until the follow is answered."""
    for _ in range(rounds):
        for server in servers:
            await server.app[FEDERATION].settle()


def announcement(city, group_uri: str, object_uri: str, n: int, now: float) -> dict:
    """A Note as the city's announcements service writes one, addressed to one neighbourhood."""
    return {
        "id": object_uri,
        "type": "Note",
        "name": f"Road works, week {n}",
        "content": CONTENT,
        "url": f"{city.uri.rsplit('/ap/', 1)[0]}/announcements/{object_uri.rsplit('/', 1)[1]}",
        "quartier:urgent": False,
        "quartier:pinned": False,
        "attributedTo": city.uri,
        "to": [group_uri],
        "cc": [city.followers],
        "audience": [group_uri],
        "published": iso_now(now),
    }


def prepare_requests(city_app, inbox_url: str, group_uri: str, count: int) -> list[bytes]:
    """`count` raw HTTP requests, each a distinct signed activity, as the delivery worker
    would send them (same Outbox.prepare, same stored bytes, same RequestSigner)."""
    federation = city_app[FEDERATION]
    city = federation.actors.city()
    host = inbox_url.split("/")[2]
    path = "/" + inbox_url.split("/", 3)[3]
    requests = []
    for n in range(count):
        now = time.time()
        document = announcement(city, group_uri, federation.outbox.new_object_uri(), n, now)
        activity = federation.outbox.prepare(
            city,
            "Create",
            document,
            now,
            source="announcement",
            to=[group_uri],
            cc=[city.followers],
            audience=[group_uri],
        )
        body = json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
        headers.update(federation.signer.sign("POST", inbox_url, body, city, RFC9421))
        head = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        requests.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return requests


def write_for_wrk(prefix: Path, requests: list[bytes], threads: int = 2) -> None:
    """Thread i of wrk sends requests i, i + threads, ... (bench/wrk_replay.lua)."""
    for t in range(threads):
        with open(f"{prefix}.{t + 1}", "wb") as out:
            for raw in requests[t::threads]:
                out.write(f"{len(raw)}\n".encode() + raw)


def _loop_rate(fn, seconds: float = 1.5) -> float:
    """Calls per second of fn in a plain loop (best of three runs)."""
    best = 0.0
    for _ in range(3):
        n, started = 0, time.perf_counter()
        deadline = started + seconds / 3
        while time.perf_counter() < deadline:
            for _ in range(50):
                fn()
            n += 50
        best = max(best, n / (time.perf_counter() - started))
    return best


def floor(activity: dict, public_key) -> dict[str, float]:
    """Rates of the floor's parts, and of the three together, on one core. The schema
    validation is the node's own (`SchemaRegistry.validate`: compiled, jsonschema-rs); the
    pure-Python jsonschema it used before is measured beside it, for reference."""
    schemas = SchemaRegistry()
    proof = activity["proof"]
    signature = base58btc_decode(proof["proofValue"][1:])
    unsecured = {k: v for k, v in activity.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    signed_bytes = _hash_data(config, unsecured)
    public_key.verify(signature, signed_bytes)  # it does verify
    schemas.validate("activitypub/create", activity)
    interpreted = schemas.validator("activitypub/create")
    assert interpreted.is_valid(activity)

    def verify() -> None:
        public_key.verify(signature, signed_bytes)

    def canonicalise() -> None:
        rfc8785.dumps(activity)

    def validate() -> None:
        schemas.validate("activitypub/create", activity)

    def all_three() -> None:
        verify()
        canonicalise()
        validate()

    return {
        "verify": _loop_rate(verify),
        "canonicalise": _loop_rate(canonicalise),
        "validate": _loop_rate(validate),
        "validate_interpreted": _loop_rate(lambda: interpreted.is_valid(activity)),
        "floor": _loop_rate(all_three),
        "sha256": _loop_rate(lambda: hashlib.sha256(json.dumps(activity).encode()).digest()),
    }


async def measure_ceiling(work: Path, seconds: int):
    """The same wrk load against bench/inbox_ceiling.py: body, one verification, 202."""
    port = free_port()
    process = inbox_ceiling_process(port, work / "ceiling.log").start()
    try:
        await wait_for_http(f"http://127.0.0.1:{port}/healthz", process.started_at)
        script = BENCH / "wrk_replay.lua"
        url = f"http://127.0.0.1:{port}"
        await run_wrk(url, 2, script=script, script_args=[str(work / "warm")])
        return await run_wrk(url, seconds, script=script, script_args=[str(work / "load")])
    finally:
        process.stop()


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    require_wrk()
    scratch = tempfile.TemporaryDirectory(prefix="quartier-bench-inbox-")
    work = args.keep or Path(scratch.name)
    city_port, node_port = free_port(), free_port()
    init_node(work / "city", f"http://127.0.0.1:{city_port}", "Mons")
    init_node(work / "node", f"http://127.0.0.1:{node_port}", "Nimy")
    city = await start(work / "city", city_port, {**NODE_ENV, "QUARTIER_CITY_ENABLED": "true"})
    node = await start(work / "node", node_port, NODE_ENV)
    notes = [f"machine: {machine()}"]
    try:
        await node.app[REGISTER].create_neighbourhood("Nimy")
        await city.app[PEERING].set_host_policy(f"127.0.0.1:{node_port}", "allow")
        await node.app[PEERING].follow_city(f"city@127.0.0.1:{city_port}", None)
        await settle(node, city)
        following = (await node.app[PEERING].overview()).following
        assert following and following[0].follow.state == "accepted", following
        group_uri = f"http://127.0.0.1:{node_port}/ap/n/nimy"
        inbox_url = f"http://127.0.0.1:{node_port}/ap/inbox"
        await node.close()  # from here on the node runs in its own process

        started = time.perf_counter()
        warm = prepare_requests(city.app, inbox_url, group_uri, args.warmup)
        requests = prepare_requests(city.app, inbox_url, group_uri, args.activities)
        signing_rate = (args.warmup + args.activities) / (time.perf_counter() - started)
        print(
            f"prepared {args.warmup + args.activities:,} signed activities ({signing_rate:,.0f}/s)"
        )
        write_for_wrk(work / "warm", warm)
        write_for_wrk(work / "load", requests)
        sample = json.loads(requests[0].split(b"\r\n\r\n", 1)[1])
        rates = floor(sample, city.app[FEDERATION].keys.ed25519.public_key())
        print(f"  floor {rates['floor']:,.0f}/s ({rates})")

        process = node_process(work / "node", node_port, work / "node.log", **NODE_ENV)
        process.start()
        await wait_for_http(f"http://127.0.0.1:{node_port}/healthz", process.started_at)
        try:
            script = BENCH / "wrk_replay.lua"
            url = f"http://127.0.0.1:{node_port}"
            loaded_at = time.perf_counter()
            await run_wrk(url, 2, script=script, script_args=[str(work / "warm")])
            await asyncio.sleep(1)  # let the processor catch up with the warm-up
            with RssSampler(process.pid) as sampler:
                result = await run_wrk(
                    url, args.seconds, script=script, script_args=[str(work / "load")]
                )
            print(
                f"  inbox {result.requests_per_s:,.0f}/s, p50 {result.p50_ms:.1f} ms,"
                f" p99 {result.p99_ms:.1f} ms, non-2xx {result.non_2xx}, load {load()}"
            )
            rss_peak = sampler.peak
        finally:
            process.stop()
            loaded_s = time.perf_counter() - loaded_at
        ceiling = await measure_ceiling(work, args.seconds)
        print(f"  ceiling {ceiling.requests_per_s:,.0f}/s, load {load()}")
        wrapped = int(result.output.split("Wrapped: ")[1].split()[0])
        if wrapped:
            raise SystemExit(
                f"wrk ran out of prepared activities ({wrapped} replays): run again with more"
                f" than --activities {args.activities}"
            )
        conn = sqlite3.connect(work / "node" / "quartier.sqlite3")
        stored, processed = conn.execute(
            "SELECT count(*), count(processed_at) FROM inbox_items WHERE type = 'Create'"
        ).fetchone()
        errors = conn.execute(
            "SELECT count(*) FROM inbox_items WHERE error IS NOT NULL"
        ).fetchone()[0]
        conn.close()
    finally:
        await city.close()
        await node.close()

    accepted = result.requests - result.non_2xx
    rate = accepted / result.seconds
    share = rate / rates["floor"]
    ceiling_rate = (ceiling.requests - ceiling.non_2xx) / ceiling.seconds
    figures = [
        Figure(
            "Inbox, 50 senders",
            "signed activities accepted per second",
            f"{rate:,.0f}/s",
            f"floor {rates['floor']:,.0f}/s",
            f"{share:.1%} of the floor",
            "≥ 60%",
            share >= 0.6,
        ),
        Figure(
            "Inbox, 50 senders",
            "the least an aiohttp inbox does (read the body, one Ed25519 verification, 202)",
            f"{ceiling_rate:,.0f}/s",
            f"floor {rates['floor']:,.0f}/s",
            f"{ceiling_rate / rates['floor']:.1%} of the floor; the node {rate / ceiling_rate:.0%}"
            " of it",
            "",
        ),
        Figure(
            "Inbox, 50 senders",
            "against Fedify's ~130/s (DESIGN.md)",
            f"{rate:,.0f}/s",
            "Fedify 2.3.6 ~130/s (not run here)",
            f"{rate / 130:.1f}×",
            "≥ 10×",
            rate >= 1300,
        ),
        Figure(
            "Inbox, 50 senders",
            "latency median / p99",
            f"{ms(result.p50_ms)} / {ms(result.p99_ms)}",
            "",
            "",
        ),
    ]
    notes += [
        f"inbox: {accepted:,} distinct activities accepted (202) in {result.seconds:.1f} s,"
        f" each sent once; {result.non_2xx} refused; the node stored {stored:,} Create items"
        f" (with the warm-up), its inbox processor had processed {processed:,} of them when the"
        f" node was stopped, {loaded_s:.0f} s after the first ({processed / loaded_s:,.0f}/s;"
        f" {errors} with an error); node RSS peak {mib(rss_peak)}",
        "floor parts, one core, per second: Ed25519 verification"
        f" {rates['verify']:,.0f}, RFC 8785 canonicalisation {rates['canonicalise']:,.0f},"
        f" schema validation as the node does it (compiled) {rates['validate']:,.0f},"
        f" the same with the pure-Python jsonschema {rates['validate_interpreted']:,.0f};"
        f" activity {len(json.dumps(sample)):,} bytes",
        f"the city prepared (proof + schema + HTTP signature) {signing_rate:,.0f} activities/s",
    ]
    scratch.cleanup()
    return figures, notes


def main() -> None:
    parser = benchmark_parser(__doc__, "build the nodes here and keep them")
    parser.add_argument(
        "--activities", type=int, default=40_000, help="prepared for the run (enough for 5,000/s)"
    )
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    run_benchmark(run, args)


if __name__ == "__main__":
    main()
