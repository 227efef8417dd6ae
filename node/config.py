"""Every setting of a node, declared once: name, type, default, help.

The TOML file (`DATA/quartier.toml`) and `QUARTIER_<SECTION>_<KEY>` environment variables
override the defaults. Loading validates every value and names the offending key, so an
operator never has to guess which line of the file is wrong.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_FILE_NAME = "quartier.toml"


class ConfigError(ValueError):
    """A setting is missing, unknown or has a value that cannot be used."""


def setting(default: Any, help: str, check: Callable[[Any], str | None] | None = None) -> Any:
    """Declare a setting: its default, a one-line help text, and an optional check."""
    return field(default=default, metadata={"help": help, "check": check})


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "must be between 1 and 65535"


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _base_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL, e.g. https://quartier.example.org"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must not contain a path, query or fragment (serve the node at the root of its host)"
    return None


def _locale(value: str) -> str | None:
    return None if value in SUPPORTED_LOCALES else f"must be one of {', '.join(SUPPORTED_LOCALES)}"


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone name such as Europe/Brussels"
    return None


def _mail_security(value: str) -> str | None:
    return None if value in ("starttls", "tls", "none") else "must be starttls, tls or none"


def _email_address(value: str) -> str | None:
    return None if "@" in value and " " not in value else "must be an e-mail address"


def _hour(value: int) -> str | None:
    return None if 0 <= value <= 23 else "must be an hour between 0 and 23"


def _handle(value: str) -> str | None:
    ok = value and all(ch.isascii() and (ch.isalnum() or ch in "_-.") for ch in value)
    return None if ok else "must be letters, digits, '_', '-' or '.'"


def _log_level(value: str) -> str | None:
    levels = ("DEBUG", "INFO", "WARNING", "ERROR")
    return None if value.upper() in levels else f"must be one of {', '.join(levels)}"


SUPPORTED_LOCALES = ("fr", "nl", "en", "de")


@dataclass(frozen=True)
class NodeSettings:
    name: str = setting("Quartier", "Name shown on every page and on invitation letters.")
    base_url: str = setting(
        "http://127.0.0.1:8080",
        "Public address of the node; links in letters, e-mails and federation use it.",
        _base_url,
    )
    default_locale: str = setting(
        "fr", "Language used when the browser asks for none we have.", _locale
    )
    timezone: str = setting(
        "Europe/Brussels", "Time zone in which dates are shown (IANA name).", _timezone
    )


@dataclass(frozen=True)
class ServerSettings:
    host: str = setting("127.0.0.1", "Address to listen on.")
    port: int = setting(8080, "TCP port to listen on.", _port)
    trust_forwarded_headers: bool = setting(
        False,
        "Take the client address from X-Forwarded-For (only behind a proxy you control).",
    )
    max_upload_mb: float = setting(
        10.0, "Largest request body accepted (address registers, photos), in MiB.", _positive
    )


@dataclass(frozen=True)
class DatabaseSettings:
    path: str = setting("quartier.sqlite3", "SQLite database file, relative to the data directory.")
    busy_timeout_ms: int = setting(
        5000, "How long a connection waits for a lock before failing, in ms.", _positive
    )
    readers: int = setting(2, "Reader connections (threads) beside the single writer.", _positive)


@dataclass(frozen=True)
class SecuritySettings:
    session_days: int = setting(30, "How long a sign-in lasts, in days.", _positive)
    login_max_failures: int = setting(
        5, "Failed sign-ins allowed per address and account within the window.", _positive
    )
    login_window_minutes: int = setting(
        15, "Window over which failed sign-ins are counted, in minutes.", _positive
    )
    reset_link_hours: int = setting(
        48, "Validity of a password-reset or first-admin setup link, in hours.", _positive
    )
    signup_max_attempts: int = setting(
        10, "Invitation-code attempts allowed per address within the login window.", _positive
    )


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str = setting("", "SMTP server for notification e-mails; empty: send no e-mail.")
    smtp_port: int = setting(587, "SMTP server port.", _port)
    security: str = setting(
        "starttls", "How to protect the SMTP connection: starttls, tls or none.", _mail_security
    )
    username: str = setting("", "SMTP user name (empty: no authentication).")
    password: str = setting("", "SMTP password; prefer QUARTIER_MAIL_PASSWORD in the environment.")
    from_address: str = setting(
        "quartier@localhost", "Sender address of notification e-mails.", _email_address
    )
    digest_hour: int = setting(18, "Local hour (0-23) at which daily digests are sent.", _hour)


@dataclass(frozen=True)
class UploadSettings:
    max_photo_mb: float = setting(8.0, "Largest photo accepted, in MiB.", _positive)
    max_photos_per_post: int = setting(4, "Photos allowed on one post.", _positive)


@dataclass(frozen=True)
class CitySettings:
    enabled: bool = setting(
        False, "This node hosts the municipality's own actor and its dashboard."
    )
    handle: str = setting(
        "city", "The city actor's user name: followers address it as handle@host.", _handle
    )
    name: str = setting("", "The city's display name on the fediverse (empty: node.name).")


def _at_least_two(value: int) -> str | None:
    return None if value >= 2 else "must be at least 2 (a cell of one respondent names a person)"


@dataclass(frozen=True)
class ParticipationSettings:
    min_cell_size: int = setting(
        5,
        "Fewest respondents a reported figure may rest on; smaller cells are suppressed.",
        _at_least_two,
    )
    report_interval_minutes: int = setting(
        10, "How often the node reports changed counts to the cities it follows.", _positive
    )
    initiative_threshold: int = setting(
        25, "Supporters a citizen initiative needs before it goes to the city.", _positive
    )


@dataclass(frozen=True)
class FederationSettings:
    allow_private_addresses: bool = setting(
        False,
        "Allow fetching from and delivering to loopback/private addresses (tests and demos only).",
    )
    approval_required: bool = setting(
        True,
        "A server not on the allowlist must be approved by an admin before it may follow.",
    )
    fetch_timeout_seconds: float = setting(
        10.0, "Time limit of one fetch from another server, in seconds.", _positive
    )
    max_document_kb: int = setting(
        1024, "Largest document accepted from another server (inbox or fetch), in KiB.", _positive
    )
    inbox_requests_per_minute: int = setting(
        600, "Requests one server may send to our inboxes per minute before getting 429.", _positive
    )
    delivery_concurrency: int = setting(
        32, "Deliveries sent at the same time by the delivery worker.", _positive
    )
    delivery_give_up_hours: int = setting(
        72, "Hours of failed retries after which a delivery becomes a dead letter.", _positive
    )


@dataclass(frozen=True)
class LoggingSettings:
    level: str = setting("INFO", "Log level: DEBUG, INFO, WARNING or ERROR.", _log_level)


@dataclass(frozen=True)
class Config:
    """A node's whole configuration. `data_dir` is where the TOML file, database and keys live."""

    data_dir: Path
    node: NodeSettings = field(default_factory=NodeSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    mail: MailSettings = field(default_factory=MailSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    city: CitySettings = field(default_factory=CitySettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    participation: ParticipationSettings = field(default_factory=ParticipationSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)

    @property
    def database_path(self) -> Path:
        return self.data_dir / self.database.path

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def secure_cookies(self) -> bool:
        return self.node.base_url.startswith("https://")

    @property
    def base_url(self) -> str:
        return self.node.base_url.rstrip("/")


SECTIONS: dict[str, type] = {
    f.name: f.default_factory  # type: ignore[misc]
    for f in dataclasses.fields(Config)
    if f.name != "data_dir"
}


def all_settings() -> list[tuple[str, dataclasses.Field]]:
    """Every setting as ("section.key", field), in declaration order (used by docs and tests)."""
    return [
        (f"{section}.{f.name}", f)
        for section, cls in SECTIONS.items()
        for f in dataclasses.fields(cls)
    ]


def _coerce(dotted: str, value: Any, expected: type, from_env: bool) -> Any:
    """Turn a TOML or environment value into the declared type, or say why it cannot be."""
    if from_env:
        if expected is bool:
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{dotted}: expected true or false, got {value!r}")
        if expected in (int, float):
            try:
                return expected(value)
            except ValueError:
                raise ConfigError(
                    f"{dotted}: expected {'an integer' if expected is int else 'a number'}, "
                    f"got {value!r}"
                ) from None
        return value
    if expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{dotted}: expected true or false, got {value!r}")
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{dotted}: expected an integer, got {value!r}")
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{dotted}: expected a number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{dotted}: expected a string, got {value!r}")
    return value


_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def _build_section(
    name: str, cls: type, from_file: Mapping[str, Any], env: Mapping[str, str]
) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in from_file:
        if key not in known:
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f" (did you mean '{name}.{hint[0]}'?)" if hint else ""
            raise ConfigError(f"unknown setting '{name}.{key}'{suggestion}")
    values = {}
    for key, f in known.items():
        dotted = f"{name}.{key}"
        expected = _TYPES[f.type] if isinstance(f.type, str) else f.type
        env_name = f"QUARTIER_{name.upper()}_{key.upper()}"
        if env_name in env:
            value = _coerce(f"{dotted} (from {env_name})", env[env_name], expected, True)
        elif key in from_file:
            value = _coerce(dotted, from_file[key], expected, False)
        else:
            continue
        check = f.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            raise ConfigError(f"{dotted}: {problem} (got {value!r})")
        values[key] = value
    return cls(**values)


def load_config(data_dir: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read `data_dir/quartier.toml` and the environment into a validated Config."""
    env = os.environ if env is None else env
    path = data_dir / CONFIG_FILE_NAME
    if not path.is_file():
        raise ConfigError(
            f"no configuration at {path}: run 'quartier init --data {data_dir}' first"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_mapping(data_dir, raw, env)


def config_from_mapping(
    data_dir: Path, raw: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> Config:
    """Validate an already-parsed TOML document (and environment overrides) into a Config."""
    env = {} if env is None else env
    for section, body in raw.items():
        if section not in SECTIONS:
            hint = difflib.get_close_matches(section, SECTIONS, n=1)
            suggestion = f" (did you mean '[{hint[0]}]'?)" if hint else ""
            raise ConfigError(f"unknown section '[{section}]'{suggestion}")
        if not isinstance(body, Mapping):
            raise ConfigError(f"'{section}' must be a table like [{section}]")
    sections = {
        name: _build_section(name, cls, raw.get(name, {}), env) for name, cls in SECTIONS.items()
    }
    return Config(data_dir=data_dir, **sections)


def render_config_toml(base_url: str, name: str) -> str:
    """The file `quartier init` writes: the two chosen values, every other setting commented."""
    lines = [
        "# Quartier node configuration. Every setting is described in docs/configuration.md.",
        "# Environment variables QUARTIER_<SECTION>_<KEY> override what is written here.",
        "",
    ]
    chosen = {"node.base_url": base_url, "node.name": name}
    current_section = None
    for dotted, f in all_settings():
        section, key = dotted.split(".")
        if section != current_section:
            if current_section is not None:
                lines.append("")
            lines.append(f"[{section}]")
            current_section = section
        lines.append(f"# {f.metadata['help']}")
        if dotted in chosen:
            lines.append(f"{key} = {_toml_value(chosen[dotted])}")
        else:
            lines.append(f"# {key} = {_toml_value(f.default)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
