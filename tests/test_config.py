"""Configuration: defaults, the TOML file, environment overrides, and errors naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from node.config import (
    CONFIG_FILE_NAME,
    Config,
    ConfigError,
    all_settings,
    load_config,
    render_config_toml,
)


def write_config(data_dir: Path, text: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CONFIG_FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    write_config(tmp_path, text)
    return load_config(tmp_path, env={} if env is None else env)


def error_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text, env)
    return str(raised.value)


def test_an_empty_file_gives_the_documented_defaults(tmp_path):
    config = load(tmp_path, "")

    assert config.data_dir == tmp_path
    assert config.node.name == "Quartier"
    assert config.node.base_url == "http://127.0.0.1:8080"
    assert config.node.default_locale == "fr"
    assert config.node.timezone == "Europe/Brussels"
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8080)
    assert config.server.trust_forwarded_headers is False
    assert config.server.max_upload_mb == 10.0
    assert config.database_path == tmp_path / "quartier.sqlite3"
    assert config.keys_dir == tmp_path / "keys"
    assert config.security.login_max_failures == 5
    assert config.security.login_window_minutes == 15
    assert config.security.session_days == 30
    assert config.logging.level == "INFO"
    assert config.secure_cookies is False


def test_the_file_overrides_the_defaults(tmp_path):
    config = load(
        tmp_path,
        """
        [node]
        name = "Ville de Mons"
        base_url = "https://quartier.mons.be/"
        default_locale = "nl"

        [server]
        port = 9000
        max_upload_mb = 25
        trust_forwarded_headers = true

        [security]
        login_max_failures = 3
        """,
    )

    assert config.node.name == "Ville de Mons"
    assert config.base_url == "https://quartier.mons.be"  # the trailing slash is dropped
    assert config.secure_cookies is True
    assert config.node.default_locale == "nl"
    assert config.server.port == 9000
    assert config.server.max_upload_mb == 25.0
    assert config.server.trust_forwarded_headers is True
    assert config.security.login_max_failures == 3
    assert config.server.host == "127.0.0.1"  # untouched settings keep their default


def test_the_environment_overrides_the_file(tmp_path):
    config = load(
        tmp_path,
        "[server]\nport = 9000\n",
        env={
            "QUARTIER_SERVER_PORT": "8443",
            "QUARTIER_SERVER_TRUST_FORWARDED_HEADERS": "yes",
            "QUARTIER_NODE_NAME": "Mechelen",
            "UNRELATED": "ignored",
        },
    )

    assert config.server.port == 8443
    assert config.server.trust_forwarded_headers is True
    assert config.node.name == "Mechelen"


def test_the_process_environment_is_read_when_none_is_given(tmp_path, monkeypatch):
    write_config(tmp_path, "")
    monkeypatch.setenv("QUARTIER_SERVER_PORT", "8181")

    assert load_config(tmp_path).server.port == 8181


def test_a_port_that_is_not_a_number_in_the_environment_names_the_variable(tmp_path):
    message = error_of(tmp_path, "", env={"QUARTIER_SERVER_PORT": "abc"})

    assert "server.port" in message
    assert "QUARTIER_SERVER_PORT" in message
    assert "'abc'" in message


def test_a_port_out_of_range_names_the_key(tmp_path):
    message = error_of(tmp_path, "[server]\nport = 70000\n")

    assert message.startswith("server.port: ")
    assert "between 1 and 65535" in message
    assert "70000" in message


def test_a_port_written_as_a_string_names_the_key(tmp_path):
    message = error_of(tmp_path, '[server]\nport = "8080"\n')

    assert message.startswith("server.port: expected an integer")


def test_a_base_url_with_a_path_is_refused(tmp_path):
    message = error_of(tmp_path, '[node]\nbase_url = "https://mons.be/quartier"\n')

    assert message.startswith("node.base_url: ")
    assert "path" in message


def test_a_base_url_without_a_scheme_is_refused(tmp_path):
    message = error_of(tmp_path, '[node]\nbase_url = "quartier.mons.be"\n')

    assert message.startswith("node.base_url: must be an absolute http:// or https:// URL")


def test_an_unknown_key_suggests_the_one_meant(tmp_path):
    message = error_of(tmp_path, "[server]\nprot = 8080\n")

    assert message == "unknown setting 'server.prot' (did you mean 'server.port'?)"


def test_an_unknown_section_suggests_the_one_meant(tmp_path):
    message = error_of(tmp_path, "[sever]\nport = 8080\n")

    assert message == "unknown section '[sever]' (did you mean '[server]'?)"


def test_a_key_outside_any_section_is_refused(tmp_path):
    message = error_of(tmp_path, "port = 8080\n")

    assert "port" in message


def test_a_bad_time_zone_names_the_key(tmp_path):
    message = error_of(tmp_path, '[node]\ntimezone = "Europe/Bruxelles"\n')

    assert message.startswith("node.timezone: must be an IANA time zone name")
    assert "Europe/Bruxelles" in message


def test_an_unsupported_language_names_the_key(tmp_path):
    message = error_of(tmp_path, '[node]\ndefault_locale = "es"\n')

    assert message.startswith("node.default_locale: must be one of fr, nl, en, de")


def test_a_boolean_from_the_environment_must_be_a_boolean(tmp_path):
    message = error_of(tmp_path, "", env={"QUARTIER_SERVER_TRUST_FORWARDED_HEADERS": "maybe"})

    assert "server.trust_forwarded_headers" in message
    assert "'maybe'" in message


def test_a_zero_or_negative_setting_is_refused(tmp_path):
    assert error_of(tmp_path, "[security]\nsession_days = 0\n").startswith(
        "security.session_days: must be greater than 0"
    )
    assert error_of(tmp_path, "", env={"QUARTIER_DATABASE_READERS": "-1"}).startswith(
        "database.readers"
    )


def test_bad_toml_says_which_file_and_where(tmp_path):
    message = error_of(tmp_path, '[server]\nport = 80\nhost = "unterminated\n')

    assert str(tmp_path / CONFIG_FILE_NAME) in message
    assert "not valid TOML" in message
    assert "line 3" in message


def test_a_missing_file_says_to_run_init(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "nowhere", env={})

    message = str(raised.value)
    assert str(tmp_path / "nowhere" / CONFIG_FILE_NAME) in message
    assert f"quartier init --data {tmp_path / 'nowhere'}" in message


def test_the_file_init_writes_loads_back_and_documents_every_setting(tmp_path):
    # Given the file `quartier init` writes
    text = render_config_toml("https://quartier.mons.be", 'Ville de "Mons"')
    config = load(tmp_path, text)

    # Then it holds the chosen values
    assert config.base_url == "https://quartier.mons.be"
    assert config.node.name == 'Ville de "Mons"'

    # And every other setting appears, commented, with its help and a default that loads as is
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and " = " in line else line for line in text.splitlines()
    )
    defaults = tomllib.loads(uncommented)
    for dotted, field in all_settings():
        section, key = dotted.split(".")
        assert f"# {field.metadata['help']}" in text, dotted
        assert key in defaults[section], dotted
    assert load(tmp_path, uncommented).server == Config(tmp_path).server
