"""Benchmark: the results page of a survey with 100,000 answers (issue 6, 4).

A city node hosting 16 neighbourhoods (Mons' count) with 120,000 households and 150,000
residents. City staff publish a 4-question survey with the product's own code (single choice,
multiple choice, a 1-10 scale, and free text shared with the city); then 100,000 residents'
answers are written straight into the database (25 times Mons' whole sign-up; one in ten
writes a shared text). Staff close the survey; the node's reporting tallies each
neighbourhood and stores its final, suppressed figures ("close → final figures" below).
Then GET /city/surveys/{id}, the results page (participation, charts, tables per
neighbourhood, the shared texts), is timed over real HTTP, one request at a time, against an
aiohttp hello-world served the same way in the same run; and the CSV and JSON exports.

    .venv/bin/python bench/survey_results.py [--answers 100000] [--requests 50]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    Figure,
    benchmark_parser,
    load,
    machine,
    median,
    ms,
    percentile,
    run_benchmark,
)
from bench.hello_world import hello_app
from node.api.app_keys import ACCOUNTS, REPORTING, SURVEYS
from node.api.middlewares import SESSION_COOKIE
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft

NEIGHBOURHOODS = (
    "Centre", "Nimy", "Ghlin", "Havré", "Jemappes", "Flénu", "Cuesmes", "Hyon", "Ciply",
    "Mesvin", "Saint-Symphorien", "Villers-Saint-Ghislain", "Spiennes", "Harmignies",
    "Harveng", "Obourg",
)  # fmt: skip
QUESTIONS = (
    SurveyQuestion(
        "Which day suits the repair café?",
        QuestionKind.SINGLE,
        ("Saturday", "Sunday", "Wednesday", "Friday evening"),
    ),
    SurveyQuestion(
        "What should the park get?",
        QuestionKind.MULTIPLE,
        ("Benches", "Trees", "Lights", "A fountain", "A playground"),
    ),
    SurveyQuestion("How safe do you feel cycling here?", QuestionKind.SCALE, scale_max=10),
    SurveyQuestion("A message for the mayor?", QuestionKind.TEXT, shared=True),
)
WORDS = (
    "more", "benches", "near", "the", "school", "please", "lights", "on", "the", "path",
    "slower", "cars", "trees", "for", "shade", "thank", "you", "bins", "market", "square",
)  # fmt: skip
CITY_ENV = {"QUARTIER_CITY_ENABLED": "true", "QUARTIER_LOGGING_LEVEL": "WARNING"}


def populate_residents(db_path: Path, households: int, residents: int, seed: int = 11) -> None:
    """16 neighbourhoods, their households and resident accounts (set-up, plain sqlite3)."""
    rng = random.Random(seed)
    now = int(time.time())
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.executemany(
        "INSERT INTO neighbourhoods (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
        [
            (i + 1, name.lower().replace("é", "e").replace(" ", "-"), name, now)
            for i, name in enumerate(NEIGHBOURHOODS)
        ],
    )
    weights = [rng.uniform(0.5, 2.0) for _ in NEIGHBOURHOODS]
    homes = rng.choices(range(1, len(NEIGHBOURHOODS) + 1), weights, k=households)
    conn.executemany(
        "INSERT INTO households (id, neighbourhood_id, street, number, postcode, municipality,"
        " address_key, created_at) VALUES (?, ?, ?, ?, '7000', 'Mons', ?, ?)",
        [
            (h + 1, homes[h], f"Rue {h // 200}", str(h % 200 + 1), f"rue {h // 200}|{h}", now)
            for h in range(households)
        ],
    )
    conn.executemany(
        "INSERT INTO users (id, email, display_name, role, neighbourhood_id, household_id,"
        " created_at) VALUES (?, ?, ?, 'resident', ?, ?, ?)",
        [
            (u + 1, f"r{u + 1}@mons.example", f"Resident {u + 1}", homes[h], h + 1, now)
            for u in range(residents)
            for h in [u if u < households else rng.randrange(households)]
        ],
    )
    conn.commit()
    conn.close()


def populate_answers(db_path: Path, survey_uri: str, answers: int, seed: int = 12) -> int:
    """`answers` residents' answers to the survey; returns how many wrote a shared text."""
    rng = random.Random(seed)
    now = int(time.time())
    conn = sqlite3.connect(db_path, timeout=30)
    users = conn.execute(
        "SELECT id, neighbourhood_id, household_id FROM users WHERE role = 'resident'"
        " ORDER BY random() LIMIT ?",
        (answers,),
    ).fetchall()
    responses, rows, texts = [], [], 0
    for response_id, (user_id, neighbourhood_id, household_id) in enumerate(users, start=1):
        responses.append(
            (response_id, survey_uri, neighbourhood_id, f"u:{user_id}", household_id, user_id,
             now, now)
        )  # fmt: skip
        rows.append((response_id, 0, rng.choice((0, 0, 1, 1, 1, 2, 3)), None))
        for choice in sorted(rng.sample(range(5), rng.randint(1, 3))):
            rows.append((response_id, 1, choice, None))
        rows.append((response_id, 2, min(9, int(rng.triangular(0, 10, 6))), None))
        if rng.random() < 0.1:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 16)))
            rows.append((response_id, 3, None, text.capitalize() + "."))
            texts += 1
    conn.executemany(
        "INSERT INTO survey_responses (id, survey_uri, neighbourhood_id, respondent, household_id,"
        " user_id, answered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        responses,
    )
    conn.executemany(
        "INSERT INTO survey_answers (response_id, question, choice, text) VALUES (?, ?, ?, ?)",
        rows,
    )
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return texts


async def timed_gets(session: aiohttp.ClientSession, url: str, n: int) -> tuple[list[float], int]:
    timings, size = [], 0
    for _ in range(n):
        started = time.perf_counter()
        async with session.get(url) as response:
            body = await response.read()
            assert response.status == 200, (response.status, url)
        timings.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return timings, size


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    scratch = tempfile.TemporaryDirectory(prefix="quartier-bench-survey-")
    work = args.keep or Path(scratch.name)
    config = init_node(work / "city", "http://127.0.0.1:8080", "Mons")
    started = time.perf_counter()
    populate_residents(config.database_path, args.households, args.residents)
    print(
        f"populated {len(NEIGHBOURHOODS)} neighbourhoods, {args.households:,} households,"
        f" {args.residents:,} residents in {time.perf_counter() - started:.0f} s"
    )
    config = load_config(config.data_dir, env=CITY_ENV)

    hello_server = TestServer(hello_app())
    server = TestServer(create_app(config))
    await hello_server.start_server()
    await server.start_server()
    notes = [f"machine: {machine()}"]
    try:
        app = server.app
        staff = await app[ACCOUNTS].create_user(
            "staff@mons.example", "City Staff", Role.CITY_STAFF, None, None
        )
        now = int(time.time())
        survey = await app[SURVEYS].create(
            staff,
            SurveyDraft(
                title="The park and the repair café",
                intro="Tell us what you think. **Every answer counts.**",
                questions=QUESTIONS,
                answer_mode=AnswerMode.RESIDENT,
                opens_at=now,
                closes_at=now + 14 * 86_400,
                targets=Targets(everywhere=True),
            ),
        )
        started = time.perf_counter()
        texts = populate_answers(config.database_path, survey.object_uri, args.answers)
        print(f"populated {args.answers:,} answers in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        await app[SURVEYS].close(staff, survey.id)
        await app[REPORTING].drain()
        tally_s = time.perf_counter() - started
        results = await app[SURVEYS].results(survey.id)
        assert results.complete, "not every neighbourhood reported its final figures"
        assert results.overall.respondents == args.answers, results.overall.respondents

        token = await app[ACCOUNTS].start_session(staff)
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({SESSION_COOKIE: token}, response_url=server.make_url("/"))
        page_url = server.make_url(f"/city/surveys/{survey.id}")
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            page = await (await session.get(page_url)).text()
            assert "Question 4" in page and "shared-texts" in page, "no results on the page"
            await timed_gets(session, page_url, 5)  # warm-up
            await timed_gets(session, hello_server.make_url("/"), 50)
            hello_ms, _ = await timed_gets(session, hello_server.make_url("/"), 300)
            page_ms, page_bytes = await timed_gets(session, page_url, args.requests)
            csv_ms, _ = await timed_gets(
                session, server.make_url(f"/city/surveys/{survey.id}/results.csv"), 20
            )
            json_ms, _ = await timed_gets(
                session, server.make_url(f"/city/surveys/{survey.id}/results.json"), 20
            )
        shown_texts = sum(len(q.texts) for q in results.overall.questions)
        print(f"  results page median {median(page_ms):.1f} ms, load {load()}")
    finally:
        await server.close()
        await hello_server.close()

    page_median = median(page_ms)
    figures = [
        Figure(
            "Survey results",
            f"results page, {args.answers:,} answers: render (median / p99)",
            f"{ms(page_median)} / {ms(percentile(page_ms, 99))}",
            f"hello-world {ms(median(hello_ms))} / {ms(percentile(hello_ms, 99))}",
            f"{page_median / median(hello_ms):,.0f}× hello-world",
            "≤ 200 ms",
            page_median <= 200,
        ),
        Figure(
            "Survey results",
            "close → final figures of 16 neighbourhoods (tally)",
            f"{tally_s * 1000:,.0f} ms",
            "",
            "",
        ),
    ]
    notes += [
        f"survey results: {len(NEIGHBOURHOODS)} neighbourhoods, {args.answers:,} answers,"
        f" {texts:,} shared texts ({shown_texts:,} shown: cells under k are not sent);"
        f" page {page_bytes / 1024:,.0f} KiB, {args.requests} requests one at a time;"
        f" CSV export median {ms(median(csv_ms))}, JSON export median {ms(median(json_ms))}",
    ]
    scratch.cleanup()
    return figures, notes


def main() -> None:
    parser = benchmark_parser(__doc__, "build the node here and keep it")
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--households", type=int, default=120_000)
    parser.add_argument("--residents", type=int, default=150_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    run_benchmark(run, args)


if __name__ == "__main__":
    main()
