"""The `quartier` command: init, serve, admin tasks, backup and restore, and the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from node.backups import BackupError, backup_node, restore_node
from node.bootstrap import NodeExists, init_node, migrate_database
from node.config import CONFIG_FILE_NAME, Config, ConfigError, load_config
from node.errors import InvalidInput, QuartierError
from node.federation.keys import KeyFileError, fingerprint, load_keys, rotate_keys
from node.models import Role
from node.services.accounts import Accounts
from node.services.register import InvalidRegister, Register
from node.storage.database import Database, DatabaseError

log = logging.getLogger("quartier")


class CommandError(Exception):
    """A failure to report in one line, with a non-zero exit."""


def _data_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("data"),
        metavar="DIR",
        help="the node's data directory (default: ./data)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartier", description="Run and administer a Quartier neighbourhood node."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = commands.add_parser("init", help="create a node: configuration, database and keys")
    _data_arg(init)
    init.add_argument(
        "--base-url", required=True, help="public address, e.g. https://quartier.mons.be"
    )
    init.add_argument("--name", default="Quartier", help="name shown on pages and letters")

    serve = commands.add_parser("serve", help="run the node's web server")
    _data_arg(serve)
    serve.add_argument("--host", help="address to listen on (default from the configuration)")
    serve.add_argument(
        "--port", type=int, help="port to listen on (default from the configuration)"
    )
    serve.add_argument(
        "--init-if-missing",
        action="store_true",
        help="create the node first when DIR holds none (uses --base-url, or http://HOST:PORT)",
    )
    serve.add_argument("--base-url", help="with --init-if-missing: the public address")

    backup = commands.add_parser(
        "backup", help="write a consistent backup archive, even while serving"
    )
    _data_arg(backup)
    backup.add_argument("out", type=Path, help="archive to write, e.g. quartier-2026-11-23.tar.gz")

    restore = commands.add_parser(
        "restore", help="restore a backup archive into a new data directory"
    )
    _data_arg(restore)
    restore.add_argument("archive", type=Path, help="archive written by 'quartier backup'")

    admin = commands.add_parser("admin", help="administration tasks")
    tasks = admin.add_subparsers(dest="task", metavar="TASK", required=True)

    user = tasks.add_parser(
        "create-user", help="create an account and print a link to set its password"
    )
    _data_arg(user)
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True, help="display name")
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--neighbourhood", help="neighbourhood slug (residents and moderators)")

    hood = tasks.add_parser("create-neighbourhood", help="create a neighbourhood")
    _data_arg(hood)
    hood.add_argument("name", help="e.g. 'Centre-Ville'")

    imp = tasks.add_parser(
        "import-addresses", help="import an address register (CSV), all or nothing"
    )
    _data_arg(imp)
    imp.add_argument(
        "csv", type=Path, help="columns: street, number, box, postcode, municipality, neighbourhood"
    )

    letters = tasks.add_parser("letters", help="write the invitation letters as a printable PDF")
    _data_arg(letters)
    letters.add_argument("--out", type=Path, required=True, help="PDF file to write")
    letters.add_argument("--neighbourhood", help="only this neighbourhood (slug)")

    token = tasks.add_parser("token", help="create an API token for an account")
    _data_arg(token)
    token.add_argument("--email", required=True, help="the account the token acts as")
    token.add_argument("--name", required=True, help="what the token is for, e.g. 'nightly export'")

    keys = tasks.add_parser("keys", help="the node's signing keys")
    key_tasks = keys.add_subparsers(dest="key_task", metavar="KEYTASK", required=True)
    rotate = key_tasks.add_parser(
        "rotate",
        help="replace the node's keys; on its next start the node sends its peers the new ones",
    )
    _data_arg(rotate)

    reset = tasks.add_parser("reset-link", help="print a one-time link to choose a new password")
    _data_arg(reset)
    reset.add_argument("--email", required=True)

    demo = commands.add_parser(
        "demo",
        help="run a municipality the size of Mons on this machine: 5 nodes, generated life",
    )
    demo.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="keep the demo in DIR and reuse it on the next run (default: a temporary directory,"
        " removed at exit)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed of the generator: the same seed, the same demo (default: 1)",
    )
    demo.add_argument(
        "--scale",
        type=_scale,
        metavar="FRACTION",
        help="size as a fraction of Mons, e.g. 0.1 (default: 1, from 0.001 to 2)",
    )
    demo.add_argument(
        "--base-port",
        type=int,
        metavar="PORT",
        help="the city listens on PORT, the four neighbourhood nodes on the next four"
        " (default: 8090)",
    )
    return parser


def _scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.001 <= scale <= 2:
        raise argparse.ArgumentTypeError("must be between 0.001 and 2")
    return scale


def _load(data_dir: Path) -> Config:
    try:
        return load_config(data_dir)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


async def _with_services(
    config: Config, work: Callable[[Accounts, Register], Awaitable[Any]]
) -> Any:
    migrate_database(config.database_path)
    db = await Database.open(config.database_path, config.database.busy_timeout_ms, 1)
    try:
        return await work(
            Accounts(db, config.security), Register(db, config.base_url, config.node.name)
        )
    finally:
        await db.close()


def _run_admin(args: argparse.Namespace) -> None:
    config = _load(args.data)
    if args.task == "keys":
        new_keys = rotate_keys(config.keys_dir, int(time.time()))
        print(f"new keys written to {config.keys_dir} (fingerprint {fingerprint(new_keys)});")
        print("the old ones are in keys/retired/. Restart 'quartier serve': on start the node")
        print("sends every peer an Update of its actors, and peers fetch the new keys.")
        return

    async def create_user(accounts: Accounts, register: Register) -> None:
        user = await accounts.create_user(
            args.email, args.name, Role(args.role), args.neighbourhood
        )
        token = await accounts.create_reset_link(user.id)
        print(f"created {user.role.value} {user.email} (id {user.id})")
        print(f"send them this link to choose a password: {config.base_url}/reset/{token}")

    async def create_neighbourhood(accounts: Accounts, register: Register) -> None:
        n = await register.create_neighbourhood(args.name)
        print(f"created neighbourhood {n.name!r} (slug {n.slug}, id {n.id})")

    async def import_addresses(accounts: Accounts, register: Register) -> None:
        try:
            data = args.csv.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {args.csv}: {exc.strerror}") from None
        result = await register.import_register(data)
        print(
            f"imported {args.csv}: {result.created} new household(s), {result.updated} updated,"
            f" {result.unchanged} unchanged; {result.codes_issued} invitation code(s) issued"
        )

    async def letters(accounts: Accounts, register: Register) -> None:
        neighbourhood_id = None
        if args.neighbourhood:
            known = {n.slug: n for n in await register.list_neighbourhoods()}
            if args.neighbourhood not in known:
                raise CommandError(
                    f"no neighbourhood {args.neighbourhood!r}; known: {', '.join(known) or 'none'}"
                )
            neighbourhood_id = known[args.neighbourhood].id
        pdf = await register.letters_pdf(neighbourhood_id)
        args.out.write_bytes(pdf)
        print(f"wrote {args.out} ({len(pdf) // 1024} KiB)")

    async def token(accounts: Accounts, register: Register) -> None:
        user = await accounts.user_by_email(args.email)
        if user is None:
            raise CommandError(f"no account with e-mail {args.email}")
        _, secret = await accounts.create_api_token(user, args.name)
        print(secret)

    async def reset_link(accounts: Accounts, register: Register) -> None:
        user = await accounts.user_by_email(args.email)
        if user is None:
            raise CommandError(f"no account with e-mail {args.email}")
        link = await accounts.create_reset_link(user.id)
        print(f"{config.base_url}/reset/{link}")

    tasks = {
        "create-user": create_user,
        "create-neighbourhood": create_neighbourhood,
        "import-addresses": import_addresses,
        "letters": letters,
        "token": token,
        "reset-link": reset_link,
    }
    asyncio.run(_with_services(config, tasks[args.task]))


def _run_serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from node.app import create_app

    if not (args.data / CONFIG_FILE_NAME).exists() and args.init_if_missing:
        host = args.host or "127.0.0.1"
        port = args.port or 8080
        base_url = args.base_url or f"http://{host}:{port}"
        init_node(args.data, base_url, "Quartier")
        print(f"created a new node in {args.data} for {base_url}")
    config = _load(args.data)
    server = config.server
    if args.host or args.port:
        server = replace(server, host=args.host or server.host, port=args.port or server.port)
        config = replace(config, server=server)
    logging.basicConfig(
        level=config.logging.level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        load_keys(config.keys_dir)
        migrate_database(config.database_path)
    except (KeyFileError, DatabaseError) as exc:
        raise CommandError(str(exc)) from None

    async def announce_setup_link(app: web.Application) -> None:
        from node.api.app_keys import ACCOUNTS

        token = await app[ACCOUNTS].create_setup_link_if_no_admin()
        if token:
            print(
                "\nThis node has no administrator yet. Open this one-time link to create the"
                f" first admin account:\n\n    {config.base_url}/setup/{token}\n",
                flush=True,
            )

    app = create_app(config)
    app.on_startup.append(announce_setup_link)
    print(
        f"Quartier serving {config.node.name!r} on http://{server.host}:{server.port}", flush=True
    )
    web.run_app(app, host=server.host, port=server.port, print=None)


def _run_demo(args: argparse.Namespace) -> None:
    from node.demo.run import DemoError, DemoOptions, run_demo

    if args.base_port is not None and not 1024 <= args.base_port <= 65531:
        raise CommandError("--base-port must be between 1024 and 65531")
    try:
        run_demo(DemoOptions(args.data, args.seed, args.scale, args.base_port), sys.stdout)
    except DemoError as exc:
        raise CommandError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "init":
            config = init_node(args.data, args.base_url, args.name)
            print(f"created node {args.name!r} in {args.data} ({config.base_url})")
            print(f"next: quartier serve --data {args.data}")
        elif args.command == "serve":
            _run_serve(args)
        elif args.command == "backup":
            counts = backup_node(args.data, args.out)
            print(f"wrote {args.out}: {sum(counts.values())} rows in {len(counts)} tables")
        elif args.command == "restore":
            counts = restore_node(args.archive, args.data)
            print(f"restored {args.archive} into {args.data}: {sum(counts.values())} rows")
        elif args.command == "admin":
            _run_admin(args)
        elif args.command == "demo":
            _run_demo(args)
    except InvalidRegister as exc:
        print(f"error: {exc}", file=sys.stderr)
        for problem in exc.problems:
            message = problem.message % problem.params if problem.params else problem.message
            print(f"  {args.csv}:{problem.line}: {message}", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        for name, (message, params) in exc.fields.items():
            print(f"error: {name}: {message % params if params else message}", file=sys.stderr)
        return 1
    except (
        CommandError,
        ConfigError,
        NodeExists,
        BackupError,
        DatabaseError,
        QuartierError,
        FileExistsError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # A file or folder the command needs (--out in a missing folder, no permission):
        # said in one line, like every other error, not as a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
