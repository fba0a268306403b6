"""Reading a YAML file a person wrote (settings, pricing) as strictly as a contract.

Everything that PyYAML's safe loader would accept quietly, or choke on with a
traceback, is a ``ConfigError`` of one line naming the file: more than ``max_bytes``,
bytes that are not UTF-8, a duplicate key (YAML says keys are unique; PyYAML keeps the
last one), nesting deeper than ``MAX_DEPTH``, and aliases (``*name``), which no
quotameter file needs and which can expand a small file into a huge document.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from exporter.errors import ConfigError

MAX_BYTES = 1024 * 1024  # a pricing file of a thousand node pools is 200 KiB
MAX_DEPTH = 32


class _Refused(yaml.YAMLError):
    """A document the strict loader refuses; the message says why."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without duplicate keys, aliases or deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            # types-PyYAML leaves Parser.peek_event unannotated
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Refused(f"aliases (*name) are not allowed (line {mark.line + 1})")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # as above
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise _Refused(
                    f"a mapping key must be a scalar (line {key_node.start_mark.line + 1})"
                )
            if key in seen:
                raise _Refused(f"duplicate key {key!r} (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, *, source: str, field: str) -> object:
    """Parse one YAML document strictly; ConfigError (one line) names ``source``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ConfigError(f"{source} is not valid YAML: {one_line(str(e))}", field=field) from e


def read_yaml_file(path: Path, *, what: str, field: str, max_bytes: int = MAX_BYTES) -> object:
    """Read and parse the YAML file at ``path``: ConfigError for a missing, unreadable,
    oversized, non-UTF-8 or malformed file, naming ``what`` (e.g. "pricing file")."""
    source = f"{what} {path}"
    try:
        with open(path, "rb") as file:
            raw = file.read(max_bytes + 1)
    except OSError as e:
        raise ConfigError(f"cannot read {source}: {e.strerror or e}", field=field) from e
    if len(raw) > max_bytes:
        raise ConfigError(f"{source} is larger than {max_bytes} bytes", field=field)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{source} is not UTF-8 text (byte {e.start})", field=field) from e
    return parse_yaml(text, source=source, field=field)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())
