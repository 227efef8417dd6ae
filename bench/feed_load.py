"""Benchmark: the feed under 50 concurrent readers, and the node's footprint (issue 6, 1 and 5).

Builds the node of bench/feed.py (150,000 posts in one neighbourhood, two adjacent ones),
opens a session for each of 50 residents, and runs the node as an operator does
(`python -m node serve`, its own process). Then, with wrk (-t2 -c50, each request carrying the
next resident's cookie, so 50 different readers):

- GET /neighbourhood, the first page of the feed (HTML, 20 posts), for `--seconds`;
- the baseline: an aiohttp hello-world served the same way (web.run_app, same logging, same
  wrk command and cookies), alternated with the feed, `--rounds` times each; best round kept.

Footprint: the node's resident set size idle (after start, before any page) and under the
feed load (peak, sampled every 100 ms); cold start, from spawning the process to the first
200 of /healthz, `--starts` times, against the hello-world process started the same way.

    .venv/bin/python bench/feed_load.py [--posts 150000] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.feed import populate
from bench.harness import (
    BENCH,
    Figure,
    RssSampler,
    ServerProcess,
    benchmark_parser,
    free_port,
    hello_process,
    load,
    machine,
    median,
    mib,
    ms,
    node_process,
    require_wrk,
    run_benchmark,
    run_wrk,
    wait_for_http,
)
from node.api.middlewares import CSRF_COOKIE, SESSION_COOKIE
from node.bootstrap import init_node
from node.services.accounts import Accounts
from node.storage.database import Database
from node.storage.users import get_user_by_email

READERS = 50


async def open_sessions(config, count: int) -> list[str]:
    """A signed-in session for each of `count` residents, opened by the product's own code."""
    conn = sqlite3.connect(config.database_path)
    conn.row_factory = sqlite3.Row
    users = [get_user_by_email(conn, f"r{i}@example.org") for i in range(1, count + 1)]
    conn.close()
    db = await Database.open(config.database_path)
    try:
        accounts = Accounts(db, config.security)
        return [await accounts.start_session(user) for user in users]
    finally:
        await db.close()


async def cold_start(process: ServerProcess, url: str) -> float:
    process.start()
    try:
        return await wait_for_http(url, process.started_at)
    finally:
        process.stop()


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    require_wrk()
    scratch = tempfile.TemporaryDirectory(prefix="quartier-bench-feed-")
    work = args.keep or Path(scratch.name)
    port, hello_port, bare_port = free_port(), free_port(), free_port()
    config = init_node(work / "node", f"http://127.0.0.1:{port}", "Bench")
    started = time.perf_counter()
    populate(config.database_path, args.posts)
    print(
        f"populated {args.posts:,} posts (+40,000 adjacent)"
        f" in {time.perf_counter() - started:.0f} s"
    )
    tokens = await open_sessions(config, READERS)
    tokens_file = work / "sessions.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    script = BENCH / "wrk_sessions.lua"

    node = node_process(config.data_dir, port, work / "node.log")
    hello = hello_process(hello_port, work / "hello.log")
    bare = hello_process(bare_port, work / "hello-bare.log", access_log=False)
    node_url, hello_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hello_port}"
    bare_url = f"http://127.0.0.1:{bare_port}"
    notes = [f"machine: {machine()}"]
    try:
        node.start()
        first_start = await wait_for_http(f"{node_url}/healthz", node.started_at)
        hello.start()
        bare.start()
        await wait_for_http(f"{hello_url}/", hello.started_at)
        await wait_for_http(f"{bare_url}/", bare.started_at)
        await asyncio.sleep(2)
        idle_rss, hello_rss = node.rss(), hello.rss()

        async with (
            aiohttp.ClientSession(cookies={SESSION_COOKIE: tokens[0]}) as session,
            session.get(f"{node_url}/neighbourhood") as response,
        ):
            page = await response.text()
        assert response.status == 200 and page.count('class="post-title"') == 20, (
            "the feed did not render 20 posts"
        )
        # Readers send back the CSRF cookie their first page gave them, as browsers do.
        kept = f"{CSRF_COOKIE}={secrets.token_urlsafe(32)}"
        feed_args = (str(tokens_file), "/neighbourhood", SESSION_COOKIE, kept)
        hello_args = (str(tokens_file), "/", SESSION_COOKIE, kept)
        # Warm-up: templates compiled, caches filled, connections made.
        await run_wrk(node_url, 2, script=script, script_args=feed_args)
        await run_wrk(hello_url, 2, script=script, script_args=hello_args)

        hellos, feeds, bares, peaks = [], [], [], []
        for _ in range(args.rounds):
            hellos.append(
                await run_wrk(hello_url, args.seconds, script=script, script_args=hello_args)
            )
            with RssSampler(node.pid) as sampler:
                feeds.append(
                    await run_wrk(node_url, args.seconds, script=script, script_args=feed_args)
                )
            peaks.append(sampler.peak)
            print(
                f"  round: hello {hellos[-1].requests_per_s:,.0f} req/s,"
                f" feed {feeds[-1].requests_per_s:,.0f} req/s"
                f" (p50 {feeds[-1].p50_ms:.1f} ms, p99 {feeds[-1].p99_ms:.1f} ms), load {load()}"
            )
        bares.append(await run_wrk(bare_url, args.seconds, script=script, script_args=hello_args))
        for result in (*hellos, *feeds, *bares):
            assert result.non_2xx == 0 and result.socket_errors == 0, result.output
        await asyncio.sleep(2)
        after_rss = node.rss()
    finally:
        node.stop()
        hello.stop()
        bare.stop()

    node_starts, hello_starts = [], []
    for _ in range(args.starts):
        node_starts.append(
            await cold_start(
                node_process(config.data_dir, port, work / "node.log"), f"{node_url}/healthz"
            )
        )
        hello_starts.append(
            await cold_start(hello_process(hello_port, work / "hello.log"), f"{hello_url}/")
        )
    node_starts.append(first_start)

    hello_best = max(hellos, key=lambda r: r.requests_per_s)
    feed_best = max(feeds, key=lambda r: r.requests_per_s)
    share = feed_best.requests_per_s / hello_best.requests_per_s
    start_s = median(node_starts)
    figures = [
        Figure(
            "Feed, 50 readers",
            f"first page at {args.posts:,} posts: requests/s",
            f"{feed_best.requests_per_s:,.0f} req/s",
            f"hello-world {hello_best.requests_per_s:,.0f} req/s",
            f"{share:.1%} of hello-world",
            "≥ 50%",
            share >= 0.5,
        ),
        Figure(
            "Feed, 50 readers",
            "latency median / p99",
            f"{ms(feed_best.p50_ms)} / {ms(feed_best.p99_ms)}",
            f"hello-world {ms(hello_best.p50_ms)} / {ms(hello_best.p99_ms)}",
            f"p99 {feed_best.p99_ms / hello_best.p99_ms:,.0f}× hello-world's",
            "p99 ≤ 25 ms",
            feed_best.p99_ms <= 25,
        ),
        Figure(
            "Footprint",
            "RSS of an idle node",
            mib(idle_rss),
            f"hello-world {mib(hello_rss)}",
            f"{idle_rss / hello_rss:.1f}× hello-world",
            "≤ 80 MB",
            idle_rss <= 80e6,
        ),
        Figure(
            "Footprint",
            "RSS under the feed load (peak)",
            mib(max(peaks)),
            f"idle {mib(idle_rss)}",
            f"+{mib(max(peaks) - idle_rss)}",
        ),
        Figure(
            "Footprint",
            "cold start to first /healthz (median)",
            f"{start_s:.2f} s",
            f"hello-world {median(hello_starts):.2f} s",
            f"+{start_s - median(hello_starts):.2f} s over hello-world",
            "≤ 1.5 s",
            start_s <= 1.5,
        ),
    ]
    ratios = [f.requests_per_s / h.requests_per_s for f, h in zip(feeds, hellos, strict=True)]
    paired = ", ".join(f"{r:.1%}" for r in ratios)
    notes += [
        f"feed: best of {args.rounds} rounds of {args.seconds} s each, alternating with the"
        f" hello-world; rounds (req/s) feed {[round(r.requests_per_s) for r in feeds]},"
        f" hello-world {[round(r.requests_per_s) for r in hellos]}; each round's feed against"
        f" the hello-world just before it: {paired}, median {median(ratios):.1%}",
        f"hello-world without the access log (bare): {bares[0].requests_per_s:,.0f} req/s,"
        f" p50 {ms(bares[0].p50_ms)}, p99 {ms(bares[0].p99_ms)}",
        f"node RSS after the load, idle again: {mib(after_rss)}",
        f"cold starts (s): node {[round(s, 2) for s in node_starts]},"
        f" hello-world {[round(s, 2) for s in hello_starts]}",
    ]
    scratch.cleanup()
    return figures, notes


def main() -> None:
    parser = benchmark_parser(__doc__, "build the node here and keep it")
    parser.add_argument("--posts", type=int, default=150_000)
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--starts", type=int, default=5, help="cold starts timed")
    args = parser.parse_args()
    run_benchmark(run, args)


if __name__ == "__main__":
    main()
