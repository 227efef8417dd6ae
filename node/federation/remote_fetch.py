"""Talking to other servers safely: timeouts, size caps, at most 3 redirects, and no
connection to a non-global address (loopback, private, link-local...) unless the operator
allows it (`federation.allow_private_addresses`, for tests and demos).

The address check happens in the resolver the connection itself uses, so a name cannot
resolve to a public address when checked and a private one when connected.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
ACTIVITY_JSON = "application/activity+json"
ACCEPT_ACTIVITY = (
    f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)
USER_AGENT = "Quartier/0.1 (+https://github.com/quartier/quartier)"


class FetchError(RuntimeError):
    """A remote document could not be had; the message says why (for logs and problems)."""


def address_is_allowed(address: str, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if allow_private:
        return True
    return ip.is_global and not ip.is_multicast


class GuardedResolver(AbstractResolver):
    """Resolves names like the default resolver, then drops every address we may not reach."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if address_is_allowed(r["host"], self._allow_private)]
        if not allowed:
            raise OSError(f"{host} resolves only to non-public addresses; refusing to connect")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, allow_private: bool) -> None:
    """Refuse URLs we never fetch: not http(s), credentials in them, or a literal private IP."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not one
    except ValueError as exc:  # e.g. "http://[::1" or "http://host:99999/"
        raise FetchError(f"refusing to fetch {url!r}: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise FetchError(f"refusing to fetch {url!r}: only http and https")
    if parts.username or parts.password:
        raise FetchError(f"refusing to fetch {url!r}: credentials in the URL")
    host = parts.hostname or ""
    if not host:
        raise FetchError(f"refusing to fetch {url!r}: no host")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    # aiohttp connects to literal addresses without asking the resolver: check them here.
    if not address_is_allowed(str(literal), allow_private):
        raise FetchError(f"refusing to fetch {url!r}: {host} is not a public address")


def make_session(
    allow_private: bool, timeout_seconds: float, trace_configs: list | None = None
) -> aiohttp.ClientSession:
    """The one HTTP client of a node, with the guarded resolver."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow_private), limit=100, limit_per_host=16, ttl_dns_cache=300
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_seconds, connect=min(5.0, timeout_seconds)),
        headers={"User-Agent": USER_AGENT},
        trace_configs=trace_configs,
        auto_decompress=True,
    )


@dataclass(frozen=True)
class FetchedDocument:
    url: str  # the URL finally answered, after redirects
    document: dict[str, Any]


SignHeaders = Callable[[str, str], Mapping[str, str]]  # (method, url) -> headers to add


class RemoteFetcher:
    """GETs JSON documents from other servers, signed by the instance actor when asked."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        allow_private: bool,
        max_bytes: int,
        sign: SignHeaders | None = None,
    ) -> None:
        self._session = session
        self._allow_private = allow_private
        self._max_bytes = max_bytes
        self._sign = sign

    async def fetch_json(self, url: str, accept: str = ACCEPT_ACTIVITY) -> FetchedDocument:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(current, self._allow_private)
            headers = {"Accept": accept}
            if self._sign is not None:
                headers.update(self._sign("GET", current))
            try:
                async with self._session.get(
                    current, headers=headers, allow_redirects=False
                ) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location")
                        if not location:
                            raise FetchError(f"{current} redirected without a Location")
                        current = urljoin(current, location)
                        continue
                    if response.status != 200:
                        raise FetchError(f"{current} answered HTTP {response.status}")
                    body = await self._read_capped(response, current)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise FetchError(
                    f"could not fetch {current}: {exc or type(exc).__name__}"
                ) from None
            try:
                document = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise FetchError(f"{current} did not answer JSON") from None
            if not isinstance(document, dict):
                raise FetchError(f"{current} answered JSON that is not an object")
            return FetchedDocument(current, document)
        raise FetchError(f"{url} redirected more than {MAX_REDIRECTS} times")

    async def _read_capped(self, response: aiohttp.ClientResponse, url: str) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self._max_bytes:
            raise FetchError(
                f"{url} sent {declared} bytes, more than the {self._max_bytes} allowed"
            )
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > self._max_bytes:
                raise FetchError(f"{url} sent more than the {self._max_bytes} bytes allowed")
            chunks.append(chunk)
        return b"".join(chunks)
