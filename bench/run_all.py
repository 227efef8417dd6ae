"""Run every benchmark of issue 6, one after the other, and print one markdown table.

Each benchmark runs in its own process (so the memory and start-up figures are its own) and
measures its figures against a baseline in the same run. Needs wrk (Debian: apt-get install
wrk) and the `bench` extra (psutil). About 10 minutes on the project's 2-core machine.

    .venv/bin/python bench/run_all.py [--quick] [--soak] [--only feed_load,inbox]

`--quick` runs reduced sizes, to check that everything works (its figures mean little).
The soak (bench/soak.py: 10 minutes of mixed load on two nodes, ~12 minutes in all) runs only
with `--soak` or `--only soak`; under `--quick` it lasts one minute.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import BENCH, PYTHON, ROOT, machine, read_figures, require_wrk, table

BENCHMARKS = {
    "feed_load": ([], ["--posts", "20000", "--seconds", "3", "--rounds", "1", "--starts", "2"]),
    "inbox": ([], ["--activities", "12000", "--warmup", "500", "--seconds", "3"]),
    "fanout": ([], ["--sizes", "16,100,1000"]),
    "survey_results": ([], ["--answers", "10000", "--households", "12000", "--residents", "15000"]),
    "soak": (
        ["--minutes", "10"],
        ["--minutes", "1", "--posts", "2000", "--warmup", "20", "--row-seconds", "20"],
    ),
}
LONG = {"soak"}  # in the full run only when asked for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, to debug")
    parser.add_argument("--only", help="comma-separated benchmark names: " + ", ".join(BENCHMARKS))
    parser.add_argument("--soak", action="store_true", help="also run the soak (10 minutes)")
    args = parser.parse_args()
    require_wrk()
    if args.only:
        names = args.only.split(",")
    else:
        names = [name for name in BENCHMARKS if args.soak or name not in LONG]
    figures, notes = [], []
    print(f"Machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="quartier-bench-") as scratch:
        for name in names:
            full, quick = BENCHMARKS[name]
            out = Path(scratch) / f"{name}.json"
            command = [PYTHON, str(BENCH / f"{name}.py"), "--json", str(out)]
            command += quick if args.quick else full
            print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True)
            print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)
            found, said = read_figures(out)
            figures += found
            notes += said[1:]  # the first note of each is the machine, printed once here
    print()
    print(f"Machine: {machine()}")
    print()
    print(table(figures))
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
