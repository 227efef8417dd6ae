"""RFC 8941 structured fields: the subset RFC 9421 signatures use (dictionaries, inner lists,
parameters, strings, tokens, integers, decimals, booleans and byte sequences)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any


class StructuredFieldError(ValueError):
    """A header is not a well-formed structured field; the message says where."""


class Token(str):
    """An sf-token, kept apart from sf-string because the two serialise differently."""

    __slots__ = ()


# An item is (bare value, parameters); an inner list is (list of items, parameters).
Params = dict[str, Any]
Item = tuple[Any, Params]

KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_SF_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*")
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_SF_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_SF_NUMBER = re.compile(r"-?(?:\d{1,12}\.\d{1,3}|\d{1,15})(?![\d.])")
_SF_BOOLEAN = re.compile(r"\?([01])")
_SF_ESCAPE = re.compile(r"\\(.)")


class _Parser:
    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"expected {what} at character {self.pos}")

    def skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def match(self, pattern: re.Pattern[str], what: str) -> re.Match[str]:
        found = pattern.match(self.text, self.pos)
        if found is None:
            raise self.fail(what)
        self.pos = found.end()
        return found

    def dictionary(self) -> dict[str, Item]:
        members: dict[str, Item] = {}
        self.skip(" \t")
        while self.pos < len(self.text):
            key = self.match(KEY, "a dictionary key")[0]
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.inner_list() if self.peek() == "(" else self.item()
            else:
                members[key] = (True, self.parameters())
            self.skip(" \t")
            if self.pos == len(self.text):
                break
            if self.peek() != ",":
                raise self.fail("','")
            self.pos += 1
            self.skip(" \t")
            if self.pos == len(self.text):
                raise self.fail("a member after ','")
        return members

    def inner_list(self) -> Item:
        self.pos += 1  # "("
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return items, self.parameters()
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("' ' or ')' in an inner list")

    def item(self) -> Item:
        return self.bare_item(), self.parameters()

    def parameters(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.match(KEY, "a parameter key")[0]
            if self.peek() == "=":
                self.pos += 1
                params[key] = self.bare_item()
            else:
                params[key] = True
        return params

    def bare_item(self) -> Any:
        char = self.peek()
        if char == '"':
            text = self.match(_SF_STRING, "a string")[1]
            return _SF_ESCAPE.sub(r"\1", text) if "\\" in text else text
        if char == ":":
            encoded = self.match(_SF_BYTES, "a byte sequence")[1]
            try:
                return base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise self.fail("valid base64") from None
        if char == "?":
            return self.match(_SF_BOOLEAN, "a boolean")[1] == "1"
        if char == "-" or char.isdigit():
            number = self.match(_SF_NUMBER, "a number")[0]
            return float(number) if "." in number else int(number)
        return Token(self.match(_SF_TOKEN, "an item")[0])


def parse_dictionary(text: str) -> dict[str, Item]:
    return _Parser(text).dictionary()


def serialise_bare(value: Any) -> str:
    if isinstance(value, Token):
        return value
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise TypeError(f"cannot serialise {value!r} as a structured field")


def _serialise_params(params: Params) -> str:
    return "".join(
        f";{key}" if value is True else f";{key}={serialise_bare(value)}"
        for key, value in params.items()
    )


def serialise_item(value: Any, params: Params) -> str:
    return serialise_bare(value) + _serialise_params(params)


def serialise_inner_list(items: list[Item], params: Params) -> str:
    inner = " ".join(serialise_item(*item) for item in items)
    return f"({inner}){_serialise_params(params)}"
