"""The `quartier` command as an operator uses it: clear output, clear errors, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import io
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from node.__main__ import build_parser, main
from node.app import create_app
from node.config import CONFIG_FILE_NAME, load_config
from tests.conftest import register_csv

REPO = Path(__file__).resolve().parents[1]
BASE_URL = "https://quartier.mons.be"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path, capsys) -> Path:
    data = tmp_path / "node"
    code, _, err = run(
        capsys, "init", "--data", str(data), "--base-url", BASE_URL, "--name", "Mons"
    )
    assert code == 0, err
    return data


def admin(capsys, data_dir: Path, *argv: str) -> tuple[int, str, str]:
    task, *rest = argv
    return run(capsys, "admin", task, "--data", str(data_dir), *rest)


def register_file(tmp_path: Path, rows: list[tuple[str, ...]]) -> Path:
    """An address register as a CSV file, header included."""
    csv = tmp_path / "register.csv"
    csv.write_bytes(register_csv(rows))
    return csv


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every command and sub-command of the parser, as argument prefixes."""
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_paths(sub, (*prefix, name))


# -- init --------------------------------------------------------------------------------------


def test_init_creates_a_node_with_private_keys(data_dir, capsys):
    assert (data_dir / CONFIG_FILE_NAME).is_file()
    assert load_config(data_dir, env={}).base_url == BASE_URL
    keys = data_dir / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for key in ("ed25519.pem", "rsa.pem"):
        assert stat.S_IMODE((keys / key).stat().st_mode) == 0o600


def test_init_refuses_to_overwrite_a_node(data_dir, capsys):
    # Given a node, and its keys
    keys_before = {p.name: p.read_bytes() for p in (data_dir / "keys").iterdir()}
    config_before = (data_dir / CONFIG_FILE_NAME).read_text()

    # When init is run on it again
    code, _, err = run(capsys, "init", "--data", str(data_dir), "--base-url", "https://x.org")

    # Then it refuses, and nothing of the node changed
    assert code == 1
    assert err == f"error: {data_dir} already holds a node; refusing to overwrite it\n"
    assert {p.name: p.read_bytes() for p in (data_dir / "keys").iterdir()} == keys_before
    assert (data_dir / CONFIG_FILE_NAME).read_text() == config_before


def test_init_with_a_bad_address_says_why_and_leaves_nothing(tmp_path, capsys):
    data = tmp_path / "node"

    code, _, err = run(capsys, "init", "--data", str(data), "--base-url", "https://mons.be/q")

    assert code == 1
    assert err.startswith("error: node.base_url: ")
    assert not data.exists()


def test_every_command_and_sub_command_has_help(capsys):
    paths = list(command_paths(build_parser()))
    assert ("admin", "import-addresses") in paths
    assert len(paths) >= 11

    for path in paths:
        with pytest.raises(SystemExit) as exited:
            main([*path, "--help"])
        out, _ = capsys.readouterr()
        assert exited.value.code == 0, path
        assert out.startswith("usage: quartier"), path


def test_the_installed_entry_point_answers_help():
    result = subprocess.run(
        [sys.executable, "-m", "node", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    for command in ("init", "serve", "backup", "restore", "admin"):
        assert command in result.stdout


def test_a_command_on_a_directory_without_a_node_says_to_run_init(tmp_path, capsys):
    code, _, err = admin(capsys, tmp_path / "nowhere", "create-neighbourhood", "Centre")

    assert code == 1
    assert f"run 'quartier init --data {tmp_path / 'nowhere'}' first" in err


# -- admin tasks -------------------------------------------------------------------------------


def test_admin_creates_a_neighbourhood(data_dir, capsys):
    code, out, _ = admin(capsys, data_dir, "create-neighbourhood", "Centre-Ville")
    assert code == 0
    assert out == "created neighbourhood 'Centre-Ville' (slug centre-ville, id 1)\n"

    code, _, err = admin(capsys, data_dir, "create-neighbourhood", "Centre-Ville")
    assert code == 1
    assert err == "error: A neighbourhood called Centre-Ville already exists.\n"


def test_admin_imports_a_good_register(data_dir, tmp_path, capsys):
    admin(capsys, data_dir, "create-neighbourhood", "Centre")
    csv = register_file(
        tmp_path,
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "", "7000", "Mons", "centre"),
        ],
    )

    code, out, _ = admin(capsys, data_dir, "import-addresses", str(csv))

    assert code == 0
    assert out == (
        f"imported {csv}: 2 new household(s), 0 updated, 0 unchanged; 2 invitation code(s) issued\n"
    )


def test_admin_import_of_a_bad_register_lists_file_and_line_and_imports_nothing(
    data_dir, tmp_path, capsys
):
    # Given a register with a bad postcode on line 3 and an unknown neighbourhood on line 4
    admin(capsys, data_dir, "create-neighbourhood", "Centre")
    csv = register_file(
        tmp_path,
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "", "70", "Mons", "centre"),
            ("Rue X", "3", "", "7000", "Mons", "atlantis"),
        ],
    )

    # When it is imported
    code, out, err = admin(capsys, data_dir, "import-addresses", str(csv))

    # Then each problem is a `file:line: message` line, the exit code says it failed,
    # and no household was imported
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "error: The address register was not imported. Problems found: 2."
    assert lines[1].strip() == f"{csv}:3: postcode '70' is not a postcode"
    assert lines[2].strip().startswith(f"{csv}:4: neighbourhood 'atlantis' does not exist")
    code, _, err = admin(capsys, data_dir, "letters", "--out", str(tmp_path / "l.pdf"))
    assert code == 1
    assert "No household with a valid code" in err


def test_admin_import_of_a_missing_file_says_so(data_dir, tmp_path, capsys):
    code, _, err = admin(capsys, data_dir, "import-addresses", str(tmp_path / "nope.csv"))

    assert code == 1
    assert err.startswith(f"error: cannot read {tmp_path / 'nope.csv'}")


def test_admin_writes_the_letters_as_a_pdf(data_dir, tmp_path, capsys):
    # Given three households in two neighbourhoods
    admin(capsys, data_dir, "create-neighbourhood", "Centre")
    admin(capsys, data_dir, "create-neighbourhood", "Nimy")
    csv = register_file(
        tmp_path,
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "", "7000", "Mons", "centre"),
            ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
        ],
    )
    admin(capsys, data_dir, "import-addresses", str(csv))

    # When the letters are written, for all and for Nimy
    everyone, nimy = tmp_path / "all.pdf", tmp_path / "nimy.pdf"
    code, out, _ = admin(capsys, data_dir, "letters", "--out", str(everyone))
    assert code == 0
    assert out.startswith(f"wrote {everyone} (")
    assert admin(capsys, data_dir, "letters", "--out", str(nimy), "--neighbourhood", "nimy")[0] == 0

    # Then each PDF has a page per household
    assert len(PdfReader(io.BytesIO(everyone.read_bytes())).pages) == 3
    assert len(PdfReader(io.BytesIO(nimy.read_bytes())).pages) == 1

    # And an unknown neighbourhood is named with the known ones
    code, _, err = admin(
        capsys, data_dir, "letters", "--out", str(tmp_path / "x.pdf"), "--neighbourhood", "mons"
    )
    assert code == 1
    assert err == "error: no neighbourhood 'mons'; known: centre, nimy\n"
    assert not (tmp_path / "x.pdf").exists()

    # And a file that cannot be written is named in one line, not a traceback
    missing = tmp_path / "no-such-folder" / "letters.pdf"
    code, _, err = admin(capsys, data_dir, "letters", "--out", str(missing))
    assert code == 1
    assert err == f"error: {missing}: No such file or directory\n"


def test_letters_for_an_address_the_fonts_cannot_print_name_it_and_write_nothing(
    data_dir, tmp_path, capsys
):
    # Given a register whose second address has a character outside Latin-1
    admin(capsys, data_dir, "create-neighbourhood", "Centre")
    csv = register_file(
        tmp_path,
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("ulica Łódzka", "5", "", "7000", "Mons", "centre"),
        ],
    )
    assert admin(capsys, data_dir, "import-addresses", str(csv))[0] == 0

    # When the letters are written
    out_file = tmp_path / "letters.pdf"
    code, out, err = admin(capsys, data_dir, "letters", "--out", str(out_file))

    # Then the command fails saying which address and character, with no traceback or file
    assert (code, out) == (1, "")
    assert err.startswith("error: The letters cannot be printed: ")
    assert "'ulica Łódzka 5'" in err and "'Ł' (U+0141)" in err
    assert "Traceback" not in err
    assert not out_file.exists()


def test_admin_create_user_with_a_bad_email_names_the_field(data_dir, capsys):
    code, _, err = admin(
        capsys, data_dir, "create-user", "--email", "claire", "--name", "C", "--role", "admin"
    )

    assert code == 1
    assert err == "error: email: Enter an e-mail address like name@example.org.\n"


def test_admin_reset_link_for_an_unknown_email_says_so(data_dir, capsys):
    code, out, err = admin(capsys, data_dir, "reset-link", "--email", "ghost@mons.be")

    assert code == 1
    assert out == ""
    assert err == "error: no account with e-mail ghost@mons.be\n"


def test_admin_token_for_an_unknown_email_says_so(data_dir, capsys):
    code, _, err = admin(capsys, data_dir, "token", "--email", "ghost@mons.be", "--name", "x")

    assert code == 1
    assert err == "error: no account with e-mail ghost@mons.be\n"


async def test_the_printed_reset_link_and_token_work_against_the_running_node(
    data_dir, capsys, aiohttp_client
):
    # Given an admin account created on the command line
    code, out, _ = await asyncio.to_thread(
        admin,
        capsys,
        data_dir,
        "create-user",
        "--email",
        "admin@mons.be",
        "--name",
        "Ada",
        "--role",
        "admin",
    )
    assert code == 0
    first, second = out.splitlines()
    assert first.startswith("created admin admin@mons.be (id ")
    link = second.split(": ", 1)[1]
    assert link.startswith(f"{BASE_URL}/reset/")

    # And a token and a fresh reset link printed for it
    code, out, _ = await asyncio.to_thread(
        admin, capsys, data_dir, "token", "--email", "admin@mons.be", "--name", "nightly"
    )
    assert code == 0
    token = out.strip()
    code, out, _ = await asyncio.to_thread(
        admin, capsys, data_dir, "reset-link", "--email", "admin@mons.be"
    )
    assert code == 0
    fresh = out.strip()
    assert fresh.startswith(f"{BASE_URL}/reset/")

    # When the node runs and a script uses the token, and the admin opens the links
    client = await aiohttp_client(create_app(load_config(data_dir, env={})))
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    new_link = await client.get(urlsplit(fresh).path)
    old_link = await client.get(urlsplit(link).path)

    # Then the token acts as the admin, and only the newest link opens
    assert me.status == 200
    assert (await me.json())["email"] == "admin@mons.be"
    assert new_link.status == 200
    assert old_link.status == 404


# -- backup and restore ------------------------------------------------------------------------


def test_backup_and_restore_on_the_command_line(data_dir, tmp_path, capsys):
    admin(capsys, data_dir, "create-neighbourhood", "Centre")
    archive = tmp_path / "mons.tar.gz"

    code, out, _ = run(capsys, "backup", "--data", str(data_dir), str(archive))
    assert code == 0
    assert out.startswith(f"wrote {archive}: ")

    code, out, _ = run(capsys, "restore", "--data", str(tmp_path / "restored"), str(archive))
    assert code == 0
    assert out.startswith(f"restored {archive} into {tmp_path / 'restored'}: ")

    code, _, err = run(capsys, "restore", "--data", str(data_dir), str(archive))
    assert code == 1
    assert err == f"error: {data_dir} is not empty; restore into a new directory, then swap it\n"

    code, _, err = run(capsys, "backup", "--data", str(data_dir), str(archive))
    assert code == 1
    assert "already exists" in err
