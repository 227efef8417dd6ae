"""`quartier demo`: five nodes on loopback, generated life, logins printed, Ctrl-C stops all.

The five nodes run in this one process, each its own `create_app` on its own port, rather
than as five `quartier serve` children. The design allows it (no import-time state: several
nodes run in one process, as the federation tests do), and it serves the demo better:
seeding the federated part (follows, the city's messages, answers, reports) calls each
node's services and settles its queues directly, instead of driving five processes over
HTTP and polling; and Ctrl-C or SIGTERM has no child process to lose, so stopping cleanly
is one shutdown of five apps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from node.api.app_keys import REPORTING
from node.app import create_app
from node.bootstrap import init_node
from node.config import CONFIG_FILE_NAME, Config, load_config
from node.demo.generator import LifeCounts, Logins, write_node_life
from node.demo.participation import DemoError, Participation
from node.demo.topology import NodePlan, plan_municipality
from node.services.passwords import hash_password

MANIFEST = "demo.json"
MANIFEST_VERSION = 1
DEFAULT_BASE_PORT = 8090  # beside scripts/run's 8080, so both can run at once
DEFAULT_SEED = 1
LOGINS = Logins(
    password="quartier-demo",
    admin="admin@mons.example",
    staff="staff@mons.example",
    resident="resident@mons.example",
)


@dataclass(frozen=True)
class DemoOptions:
    data: Path | None  # None: a temporary directory, removed at exit
    seed: int | None  # None: DEFAULT_SEED, or the seed a reused demo was made with
    scale: float | None  # None: 1.0, or the reused demo's scale
    base_port: int | None  # None: DEFAULT_BASE_PORT, or the reused demo's
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class Manifest:
    """What `demo.json` records: enough to reuse the demo and print the same things."""

    seed: int
    scale: float
    base_port: int
    created_at: int
    seeding_seconds: float
    nodes: dict[str, dict[str, Any]]  # key -> name, url, neighbourhoods, counts
    participation: dict[str, int]
    version: int = MANIFEST_VERSION


def _node_settings(plan: NodePlan, port: int) -> dict[tuple[str, str], str]:
    settings = {
        ("server", "port"): str(port),
        ("federation", "allow_private_addresses"): "true",
        # Counts reach the city dashboard a minute after a resident acts, not ten.
        ("participation", "report_interval_minutes"): "1",
    }
    if plan.city:
        settings[("city", "enabled")] = "true"
    return settings


def _write_settings(path: Path, settings: dict[tuple[str, str], str]) -> None:
    """Set values in the file `quartier init` wrote, where it lists each setting commented
    out, so the node keeps them if served on its own (`quartier serve --data DIR/city`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    section = ""
    left = dict(settings)
    for i, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[]")
        for (wanted_section, key), value in list(left.items()):
            if section == wanted_section and line.startswith(f"# {key} = "):
                lines[i] = f"{key} = {value}"
                del left[(wanted_section, key)]
    if left:
        raise DemoError(f"cannot set {sorted(left)} in {path}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as sock:
        # As aiohttp binds: a port whose last connections are in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise DemoError(
                f"port {port} on {host} is in use: stop what uses it, or choose other ports"
                " with --base-port"
            ) from None


class Demo:
    def __init__(self, options: DemoOptions, out: TextIO) -> None:
        self._options = options
        self._out = out
        self._temporary = options.data is None
        if options.data is None:
            self.root = Path(tempfile.mkdtemp(prefix="quartier-demo-"))
        else:
            self.root = options.data
        self._created: list[Path] = []  # node directories made by this run
        self._runners: list[web.AppRunner] = []
        self.manifest: Manifest | None = None
        self.complete = False

    def say(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    # -- the data directory ---------------------------------------------------------------

    def _read_manifest(self) -> Manifest | None:
        path = self.root / MANIFEST
        if not path.exists():
            return None
        try:
            manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise DemoError(f"{path} is not a demo manifest this version reads ({exc})") from None
        if manifest.version != MANIFEST_VERSION:
            raise DemoError(f"{path} was written by another version of the demo")
        return manifest

    def _plan(self, seed: int, scale: float) -> tuple[NodePlan, ...]:
        return plan_municipality(scale, random.Random(f"{seed}:plan"))

    def _config(self, plan: NodePlan) -> Config:
        # The environment's QUARTIER_* settings are left out: the demo is the same anywhere.
        return load_config(self.root / plan.key, env={})

    async def _generate(
        self, seed: int, scale: float, base_port: int
    ) -> tuple[Manifest, dict[int, list[int]]]:
        """Create the nodes' directories and write their own life; they do not serve yet."""
        nodes = self._plan(seed, scale)
        if (self.root / CONFIG_FILE_NAME).exists():
            raise DemoError(f"{self.root} holds a node, not a demo: choose another directory")
        for plan in nodes:
            if (self.root / plan.key).exists():
                raise DemoError(
                    f"{self.root} holds an unfinished demo (no {MANIFEST}): delete it, or choose"
                    " another directory"
                )
        self.say(f"Generating a municipality the size of Mons × {scale:g} (seed {seed})")
        password_hash = await hash_password(LOGINS.password)
        residents: dict[int, list[int]] = {}
        summary: dict[str, dict[str, Any]] = {}
        for index, plan in enumerate(nodes):
            port = base_port + plan.port_offset
            url = f"http://{self._options.host}:{port}"
            self._created.append(self.root / plan.key)
            init_node(self.root / plan.key, url, plan.name)
            _write_settings(self.root / plan.key / CONFIG_FILE_NAME, _node_settings(plan, port))
            node_started = time.perf_counter()
            rng = random.Random(f"{seed}:{plan.key}")
            counts, residents[index] = await write_node_life(
                self._config(plan), plan, LOGINS, password_hash, rng
            )
            summary[plan.key] = {
                "name": plan.name,
                "url": url,
                "city": plan.city,
                "neighbourhoods": [n.name for n in plan.neighbourhoods],
                "counts": asdict(counts),
            }
            self.say(
                f"  {plan.name}: {_life(counts)}  ({time.perf_counter() - node_started:.1f} s)"
            )
        return Manifest(seed, scale, base_port, int(time.time()), 0.0, summary, {}), residents

    # -- serving --------------------------------------------------------------------------

    def _check_ports(self, seed: int, scale: float, base_port: int) -> None:
        for plan in self._plan(seed, scale):
            _check_port_free(self._options.host, base_port + plan.port_offset)

    async def _serve(self, manifest: Manifest, pause_reporting: bool) -> list[web.Application]:
        """Start every node. With `pause_reporting`, each node's reporting loop is stopped
        before its first pass: see `Participation.bring_to_life`."""
        apps = []
        for plan in self._plan(manifest.seed, manifest.scale):
            port = manifest.base_port + plan.port_offset
            app = create_app(self._config(plan))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            self._runners.append(runner)
            if pause_reporting:
                # Right after setup, before the loop's first pass could run: nothing between
                # here and the app's startup has let the event loop run another task.
                await app[REPORTING].stop()
            try:
                await web.TCPSite(runner, self._options.host, port).start()
            except OSError as exc:
                raise DemoError(f"cannot listen on {self._options.host}:{port}: {exc}") from None
            apps.append(app)
        return apps

    async def start(self) -> None:
        """Generate (unless the data directory holds a demo already), then serve."""
        options = self._options
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = self._read_manifest()
        if manifest is not None:
            if options.base_port is not None and options.base_port != manifest.base_port:
                raise DemoError(
                    f"{self.root} holds a demo made for --base-port {manifest.base_port}; use"
                    " that, or another directory"
                )
            self._check_ports(manifest.seed, manifest.scale, manifest.base_port)
            self.say(
                f"Reusing the demo in {self.root} (Mons × {manifest.scale:g}, seed"
                f" {manifest.seed}): nothing generated"
            )
            if (options.seed, options.scale) != (None, None):
                self.say("  (--seed and --scale apply when a demo is generated, not reused)")
            await self._serve(manifest, pause_reporting=False)
        else:
            started = time.perf_counter()
            seed = DEFAULT_SEED if options.seed is None else options.seed
            scale = 1.0 if options.scale is None else options.scale
            base_port = options.base_port or DEFAULT_BASE_PORT
            self._check_ports(seed, scale, base_port)
            manifest, residents = await self._generate(seed, scale, base_port)
            apps = await self._serve(manifest, pause_reporting=True)
            federating = time.perf_counter()
            counts = await Participation(
                apps[0], apps[1:], LOGINS.staff, random.Random(f"{seed}:participation")
            ).bring_to_life(residents)
            self.say(
                f"  federation: {len(apps) - 1} neighbourhood nodes follow the city;"
                f" {counts.announcements} announcements, a workshop and a survey;"
                f" {counts.survey_answers:,} households answered,"
                f" {counts.announcement_views:,} views  ({time.perf_counter() - federating:.1f} s)"
            )
            seconds = round(time.perf_counter() - started, 1)
            manifest = replace(manifest, seeding_seconds=seconds, participation=asdict(counts))
            (self.root / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
            self.say(f"Generated in {seconds:.1f} s")
        self.manifest = manifest
        self.complete = True

    async def stop(self) -> None:
        """Stop every node; remove what this run made that is not to be kept."""
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        if self._temporary:
            shutil.rmtree(self.root, ignore_errors=True)
        elif not self.complete:
            for directory in self._created:
                shutil.rmtree(directory, ignore_errors=True)

    def print_welcome(self) -> None:
        manifest = self.manifest
        assert manifest is not None
        city = next(n for n in manifest.nodes.values() if n["city"])
        self.say()
        self.say(f"Quartier demo: Mons × {manifest.scale:g}, {len(manifest.nodes)} nodes")
        for node in manifest.nodes.values():
            hosted = (
                f"{len(node['neighbourhoods'])} neighbourhoods and the city"
                if node["city"]
                else node["neighbourhoods"][0]
            )
            self.say(f"  {node['name']:<22} {node['url']:<24} {hosted}")
        password = LOGINS.password
        resident_home = city["neighbourhoods"][0]
        self.say()
        self.say(f"Sign in at {city['url']}/login")
        self.say(f"  admin       e-mail {LOGINS.admin:<23} password {password}  (every node)")
        self.say(
            f"  city staff  e-mail {LOGINS.staff:<23} password {password}  then {city['url']}/city"
        )
        self.say(
            f"  resident    e-mail {LOGINS.resident:<23} password {password}  ({resident_home};"
            " on each neighbourhood node too)"
        )
        self.say(f"Every generated resident's password is {password} as well.")
        self.say()
        where = "a temporary directory, removed at exit" if self._temporary else "kept"
        self.say(f"Data: {self.root} ({where})")
        self.say("Ready. Ctrl-C stops the demo.")


def _life(counts: LifeCounts) -> str:
    return (
        f"{counts.households:,} households, {counts.residents:,} residents,"
        f" {counts.posts:,} posts, {counts.comments:,} comments, {counts.reactions:,} reactions,"
        f" {counts.help_requests:,} help requests ({counts.help_resolved:,} resolved)"
    )


async def _main(options: DemoOptions, out: TextIO) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    stop = asyncio.Event()
    shutting_down = False
    demo = Demo(options, out)

    def on_signal() -> None:
        if stop.is_set() or shutting_down:
            return  # already stopping: let the shutdown finish
        stop.set()
        if not demo.complete:
            main.cancel()  # stop generating now

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        await demo.start()
        demo.print_welcome()
        await stop.wait()
        demo.say("Stopping…")
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        demo.say("Stopped before the demo was ready.")
    finally:
        shutting_down = True
        await demo.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def run_demo(options: DemoOptions, out: TextIO) -> None:
    """Run until SIGINT or SIGTERM. Raises DemoError when the demo cannot start."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_main(options, out))
