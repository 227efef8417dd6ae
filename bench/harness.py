"""What the benchmarks share: servers in their own processes, wrk, percentiles, resident set
size, the machine's description, and the summary rows `run_all.py` gathers into one table.

Nothing here is product code: it starts and measures the node the way an operator runs it
(`python -m node serve`), and a hello-world aiohttp app the same way, as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method: a value that was measured."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# -- the summary table ---------------------------------------------------------------------------


@dataclass
class Figure:
    """One row of the summary table: a figure, its same-run baseline, and the target."""

    bench: str
    what: str
    value: str
    baseline: str
    result: str
    target: str = ""
    met: bool | None = None

    def row(self) -> str:
        verdict = {True: "met", False: "**missed**", None: ""}[self.met]
        cells = (self.bench, self.what, self.value, self.baseline, self.result, self.target)
        return "| " + " | ".join(cells) + f" | {verdict} |"


TABLE_HEAD = (
    "| bench | figure | measured | baseline, same run | result | target | |\n"
    "|---|---|---:|---:|---:|---|---|"
)


def table(figures: Sequence[Figure]) -> str:
    return "\n".join([TABLE_HEAD, *(f.row() for f in figures)])


def write_figures(path: Path | None, figures: Sequence[Figure], notes: Sequence[str]) -> None:
    """Print the figures as a table; with `path`, also save them for `run_all.py`."""
    print()
    print(table(figures))
    for note in notes:
        print(f"- {note}")
    if path is not None:
        path.write_text(
            json.dumps({"figures": [asdict(f) for f in figures], "notes": list(notes)}, indent=1)
        )


def benchmark_parser(doc: str, keep_help: str) -> argparse.ArgumentParser:
    """The options every benchmark has: `--keep DIR` and `--json FILE` (for run_all.py)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help=keep_help)
    parser.add_argument("--json", type=Path, help="also write the figures here (run_all.py)")
    return parser


def run_benchmark(
    run: Callable[[argparse.Namespace], Awaitable[tuple[list[Figure], list[str]]]],
    args: argparse.Namespace,
) -> None:
    figures, notes = asyncio.run(run(args))
    write_figures(args.json, figures, notes)


def read_figures(path: Path) -> tuple[list[Figure], list[str]]:
    data = json.loads(path.read_text())
    return [Figure(**f) for f in data["figures"]], data["notes"]


def ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 10 else f"{value:,.2f} ms"


def mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


# -- the machine ---------------------------------------------------------------------------------


def machine() -> str:
    """CPU, cores, memory, Python and SQLite versions, and how busy the machine is right now."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB;"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version};"
        f" load average {load()}"
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- processes -----------------------------------------------------------------------------------


class ServerProcess:
    """A server in its own process (the node or the hello-world baseline), logging to a file."""

    def __init__(
        self, args: Sequence[str], log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.args = list(args)
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss(self) -> int:
        return psutil.Process(self.pid).memory_info().rss

    def stop(self) -> None:
        """Ctrl-C, as an operator stops it; killed if it does not stop within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def node_process(data_dir: Path, port: int, log_path: Path, **env: str) -> ServerProcess:
    """`python -m node serve`, exactly as `quartier serve` runs a node."""
    args = [PYTHON, "-m", "node", "serve", "--data", str(data_dir), "--port", str(port)]
    return ServerProcess(args, log_path, env)


def hello_process(port: int, log_path: Path, access_log: bool = True) -> ServerProcess:
    args = [PYTHON, str(BENCH / "hello_world.py"), "--port", str(port)]
    if not access_log:
        args.append("--no-access-log")
    return ServerProcess(args, log_path)


def inbox_ceiling_process(port: int, log_path: Path) -> ServerProcess:
    return ServerProcess([PYTHON, str(BENCH / "inbox_ceiling.py"), "--port", str(port)], log_path)


async def wait_for_http(url: str, started_at: float, timeout: float = 30.0) -> float:
    """Poll `url` until it answers 200; return the seconds since `started_at` (perf_counter)."""
    deadline = time.perf_counter() + timeout
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() < deadline:
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status == 200:
                        return time.perf_counter() - started_at
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.005)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


class RssSampler:
    """Samples a process's resident set size in a thread, every `interval` seconds; `times`
    holds each sample's time.monotonic()."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.samples: list[int] = []
        self.times: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self._process.memory_info().rss
            except psutil.Error:
                return
            self.times.append(time.monotonic())
            self.samples.append(rss)
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)


# -- wrk -----------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    seconds: float
    non_2xx: int = 0
    socket_errors: int = 0
    output: str = field(default="", repr=False)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    assert done is not None, output
    seconds = float(done.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_s=rate,
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        requests=int(done.group(1)),
        seconds=seconds,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        output=output,
    )


async def run_wrk(
    url: str,
    seconds: float,
    connections: int = 50,
    threads: int = 2,
    script: Path | None = None,
    script_args: Sequence[str] = (),
    timeout_s: int = 10,
) -> WrkResult:
    """wrk -t2 -c50 --latency (DESIGN.md's hello-world figure was taken the same way).

    Run as a subprocess of the event loop, so a server in this process keeps serving."""
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "--latency",
    ]
    if script is not None:
        args += ["-s", str(script)]
    args.append(url)
    if script_args:
        args += ["--", *script_args]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    text = out.decode()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    return parse_wrk(text)


def require_wrk() -> None:
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sys.exit("wrk is not installed: apt-get install wrk (Debian's package)")
