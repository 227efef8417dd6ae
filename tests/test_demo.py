"""`quartier demo` as a newcomer runs it: the real command in its own process, tiny scale.

It must print the nodes' addresses and logins that work, show the city staff every
neighbourhood with statistics and a running survey, show the resident a lively feed, stop
on Ctrl-C with exit code 0 leaving no process behind, and reuse its --data without
generating again.
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from node.bootstrap import init_node
from node.demo.generator import Logins, write_node_life
from node.demo.topology import plan_municipality
from node.storage.database import open_connection

REPO = Path(__file__).resolve().parents[1]
SCALE = "0.02"
NEIGHBOURHOODS = 16
NODES = 5
URL = re.compile(r"^  (\S.*?)\s+(http://127\.0\.0\.1:\d+)\s", re.MULTILINE)
LOGIN = re.compile(r"^  (admin|city staff|resident)\s+e-mail (\S+)\s+password (\S+)", re.MULTILINE)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SURVEY_ROW = re.compile(
    r"Vivre à Mons demain</a></td>\s*<td>(\w+)</td>\s*<td>[^<]*</td>\s*"
    r'<td class="numeric">([\d,]+) / ([\d,]+)</td>'
)


def free_base_port() -> int:
    """A port with the next four free too (the demo's five nodes)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + NODES < 65535 and all(_free(base + i) for i in range(NODES)):
            return base
    raise RuntimeError("no five consecutive free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RunningDemo:
    """`python -m node demo` in a process group of its own, its output drained and kept."""

    def __init__(self, data: Path, base_port: int) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "node", "demo", "--scale", SCALE, "--seed", "7"),
                *("--data", str(data), "--base-port", str(base_port)),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own group: any process it leaves behind is found
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("Ready."):
                self._ready.set()
        self._ready.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_ready(self, timeout: float = 30) -> str:
        self._ready.wait(timeout)
        assert self.process.poll() is None and "Ready." in self.output, self.output
        return self.output

    def interrupt(self, timeout: float = 5) -> tuple[int, float]:
        """Ctrl-C; returns the exit code and how long the demo took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"the demo did not stop within {timeout} s:\n{self.output}")
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Browser:
    """A visitor with a cookie jar, reading English pages."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.opener.addheaders = [("Accept-Language", "en")]

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, final URL, body)."""
        try:
            with self.opener.open(self.base_url + path, timeout=10) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.url, exc.read().decode()

    def sign_in(self, email: str, password: str) -> str:
        _, _, page = self.get("/login")
        form = {"email": email, "password": password, "csrf_token": CSRF.search(page).group(1)}
        request = urllib.request.Request(
            self.base_url + "/login", data=urllib.parse.urlencode(form).encode()
        )
        with self.opener.open(request, timeout=10) as response:
            assert "/login" not in response.url, f"{email} could not sign in"
            return response.url


def statistics_without_report_times(staff: Browser) -> list[list[str]]:
    status, _, text = staff.get("/city/statistics.csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "last_reported"
    return [row[:-1] for row in rows]


def check_the_running_demo(output: str) -> list[list[str]]:
    """Every printed address answers, every printed login works; returns the statistics."""
    nodes = dict(URL.findall(output))
    logins = {role: (email, password) for role, email, password in LOGIN.findall(output)}
    assert len(nodes) == NODES, output
    assert set(logins) == {"admin", "city staff", "resident"}, output
    for url in nodes.values():
        status, _, body = Browser(url).get("/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok", url
    city = next(url for name, url in nodes.items() if name == "Mons")

    # The resident lands on a feed with posts, and the city's messages above it
    resident = Browser(city)
    assert resident.sign_in(*logins["resident"]).endswith("/neighbourhood")
    _, _, feed = resident.get("/neighbourhood")
    assert len(set(re.findall(r'href="/posts/(\d+)"', feed))) >= 3, feed
    assert "Vivre à Mons demain" in feed

    # The same login works on a neighbourhood node, in its own neighbourhood
    elsewhere = Browser(nodes["Jemappes en réseau"])
    assert elsewhere.sign_in(*logins["resident"]).endswith("/neighbourhood")

    # City staff see all sixteen neighbourhoods, local and remote, with their figures
    staff = Browser(city)
    staff.sign_in(*logins["city staff"])
    status, _, page = staff.get("/city/statistics")
    assert status == 200
    rows = statistics_without_report_times(staff)
    header, data = rows[0], rows[1:]
    column = {name: i for i, name in enumerate(header)}
    by_neighbourhood: dict[str, list[list[str]]] = {}
    for row in data:
        by_neighbourhood.setdefault(row[0], []).append(row)
    assert len(by_neighbourhood) == NEIGHBOURHOODS, sorted(by_neighbourhood)
    servers = {row[column["server"]] for row in data}
    assert len(servers) == NODES
    for name, months in by_neighbourhood.items():
        assert name in page
        assert int(months[0][column["households_in_register"]]) > 0, name
        assert int(months[0][column["residents"]]) > 0, name
        assert int(months[0][column["city_message_views"]]) > 0, name
        assert sum(int(m[column["posts"]]) for m in months) > 0, name
        assert sum(int(m[column["reactions"]]) for m in months) > 0, name

    # ...and a survey that is open, with households that already answered
    _, _, surveys = staff.get("/city/surveys")
    state, answered, registered = SURVEY_ROW.search(surveys).groups()
    assert state == "open"
    assert 0 < int(answered.replace(",", "")) < int(registered.replace(",", ""))
    return rows


def assert_stopped_cleanly(demo: RunningDemo, base_port: int) -> None:
    code, seconds = demo.interrupt()
    assert code == 0, demo.output
    assert seconds < 5
    assert "Traceback" not in demo.output, demo.output
    with pytest.raises(ProcessLookupError):
        os.killpg(demo.process.pid, 0)  # no process of the demo's group is left
    for port in range(base_port, base_port + NODES):
        with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))  # nothing listens any more


def test_the_demo_runs_stops_on_ctrl_c_and_reuses_its_data(tmp_path: Path):
    data = tmp_path / "demo"
    base_port = free_base_port()

    # Given a first run: it generates, then serves
    demo = RunningDemo(data, base_port)
    try:
        output = demo.wait_until_ready()
        assert "Generating" in output
        first = check_the_running_demo(output)
        assert_stopped_cleanly(demo, base_port)
    finally:
        demo.kill()  # only if a check failed while it ran
    manifest = json.loads((data / "demo.json").read_text())
    assert manifest["scale"] == float(SCALE) and manifest["seed"] == 7

    # When it runs again on the same data
    again = RunningDemo(data, base_port)
    try:
        output = again.wait_until_ready()
        # Then nothing is generated, and everything is as it was
        assert "Reusing" in output and "Generating" not in output
        assert check_the_running_demo(output) == first
        assert_stopped_cleanly(again, base_port)
    finally:
        again.kill()


async def generated_life(tmp_path: Path, name: str, seed: int, now: int) -> dict:
    """The generated life of the city's node at a small scale, its times counted back from
    its last post, so two lives compare whatever day and hour they were made."""
    plan = plan_municipality(0.01, random.Random(f"{seed}:plan"))[0]
    config = init_node(tmp_path / name, "http://127.0.0.1:8090", plan.name)
    logins = Logins("quartier-demo", "admin@x.example", "staff@x.example", "resident@x.example")
    counts, _ = await write_node_life(config, plan, logins, "", random.Random(f"{seed}:c"), now)
    conn = open_connection(config.database_path)
    try:
        posts = conn.execute(
            "SELECT p.title, p.body, p.category, p.created_at, u.display_name, p.comment_count,"
            " p.thanks_count, p.like_count, p.support_count, p.view_count, p.resolved_at"
            " FROM posts p JOIN users u ON u.id = p.author_id ORDER BY p.id"
        ).fetchall()
        streets = conn.execute("SELECT street, number, box FROM households ORDER BY id").fetchall()
    finally:
        conn.close()
    last = posts[-1]["created_at"]

    def relative(row) -> tuple:
        resolved = row["resolved_at"] - last if row["resolved_at"] else None
        return (*tuple(row)[:3], row["created_at"] - last, *tuple(row)[4:10], resolved)

    return {
        "counts": counts,
        "streets": [tuple(row) for row in streets],
        "posts": [relative(row) for row in posts],
    }


async def test_the_same_seed_generates_the_same_life_whatever_the_day(tmp_path: Path):
    now = int(time.time())
    first = await generated_life(tmp_path, "first", seed=3, now=now)
    a_week_later = await generated_life(tmp_path, "later", seed=3, now=now + 7 * 86_400 + 5_000)
    other_seed = await generated_life(tmp_path, "other", seed=4, now=now)

    assert first == a_week_later
    assert first["counts"].posts >= 12 and first["counts"].reactions > 0
    assert other_seed["posts"] != first["posts"]
