"""The JSON Schemas in `schemas/`, found in a checkout or an installed package; compiled once.

Two validators of the same schemas: jsonschema-rs decides (compiled, ~300,000 validations/s
of an activity here, against ~2,500/s for the pure-Python jsonschema, whose 0.4 ms was a
quarter of the inbox's cost per activity); the pure-Python one is asked only about what the
compiled one refuses, to name the wrong field in its words and to keep its verdict where the
two regex engines differ (Python's `$` also matches before a final newline). The patterns in
`schemas/` exclude control characters explicitly, where the engines' ideas of whitespace
differ.
"""

from __future__ import annotations

import json
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from node.errors import InvalidInput

if TYPE_CHECKING:  # imported when first needed: a refusal to explain (~8 MiB a node saves)
    from jsonschema import Draft202012Validator
    from referencing import Registry


def schemas_root() -> Traversable:
    """`schemas/` beside the package in a checkout; `node.schemas` once installed from a wheel."""
    checkout = Path(__file__).resolve().parent.parent / "schemas"
    if checkout.is_dir():
        return checkout
    return resources.files("node.schemas")


def _field_of(error) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties" and "'" in error.message:
        extra = error.message.split("'")[1]
        return f"{path}.{extra}" if path else extra
    return path or "(body)"


class SchemaRegistry:
    """Named schemas, e.g. "api/neighbourhood-create", validated with a reason naming the field."""

    def __init__(self, root: Traversable | None = None) -> None:
        self._root = root or schemas_root()
        self._validators: dict[str, Draft202012Validator] = {}
        self._compiled: dict[str, Any] = {}

    def load(self, name: str) -> dict[str, Any]:
        parts = f"{name}.json".split("/")
        node = self._root
        for part in parts:
            node = node / part
        return json.loads(node.read_text(encoding="utf-8"))

    @cached_property
    def _references(self) -> Registry:
        """Every schema with an `$id`, so `$ref`s between them resolve without the network."""
        from referencing import Registry, Resource

        resources = []
        for name in self.names:
            schema = self.load(name)
            if "$id" in schema:
                resources.append((schema["$id"], Resource.from_contents(schema)))
        return Registry().with_resources(resources)

    @cached_property
    def _compiled_references(self) -> jsonschema_rs.Registry:
        resources = []
        for name in self.names:
            schema = self.load(name)
            if "$id" in schema:
                resources.append((schema["$id"], schema))
        return jsonschema_rs.Registry(resources)

    def compiled(self, name: str):
        """The compiled validator; formats are annotations only, as in `validator()`."""
        if name not in self._compiled:
            self._compiled[name] = jsonschema_rs.validator_for(
                self.load(name), validate_formats=False, registry=self._compiled_references
            )
        return self._compiled[name]

    def validator(self, name: str) -> Draft202012Validator:
        """The pure-Python validator, which words a refusal (see the module's docstring)."""
        from jsonschema import Draft202012Validator

        if name not in self._validators:
            schema = self.load(name)
            Draft202012Validator.check_schema(schema)
            self._validators[name] = Draft202012Validator(schema, registry=self._references)
        return self._validators[name]

    def validate(self, name: str, instance: Any) -> None:
        """Raise InvalidInput naming the first wrong field, in words a script author can use."""
        try:
            if self.compiled(name).is_valid(instance):
                return
        except (ValueError, TypeError):  # not JSON-shaped (e.g. an int key): Python's verdict
            pass
        from jsonschema.exceptions import best_match

        error = best_match(self.validator(name).iter_errors(instance))
        if error is not None:
            field = _field_of(error)
            raise InvalidInput({field: ("%(reason)s", {"reason": error.message})})

    @cached_property
    def names(self) -> list[str]:
        found = []

        def walk(node: Traversable, prefix: str) -> None:
            for child in node.iterdir():
                if child.is_dir():
                    walk(child, f"{prefix}{child.name}/")
                elif child.name.endswith(".json"):
                    found.append(prefix + child.name[: -len(".json")])

        walk(self._root, "")
        return sorted(found)
