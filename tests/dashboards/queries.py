"""Reading the committed dashboards as Grafana would: panels, their queries, and template
variables replaced the way Grafana's Prometheus datasource replaces them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboards"
# Grafana's own variables that panel queries may use, with values for a short e2e run.
BUILTINS = {
    "__rate_interval": "15s",
    "__interval": "1s",
    "__range": "30s",
    "__range_s": "30",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]")
_LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?(\w+)\)\s*$")
_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|\\]")
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count", "_created")


@dataclass(frozen=True)
class Target:
    """One query of one panel."""

    board: str  # file stem, e.g. quotameter-quotas
    panel_id: int
    panel_title: str
    ref: str
    expr: str
    instant: bool

    @property
    def name(self) -> str:
        """A readable id: board/panel title/refId."""
        return f"{self.board.removeprefix('quotameter-')}/{self.panel_title}/{self.ref}"


def load_dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard JSON file in dashboards/, by file stem."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARD_DIR.glob("*.json"))
    }


def panels(board: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def targets(boards: Mapping[str, Mapping[str, Any]]) -> list[Target]:
    """Every panel query of every dashboard."""
    return [
        Target(
            board=stem,
            panel_id=panel["id"],
            panel_title=panel["title"],
            ref=t["refId"],
            expr=t["expr"],
            instant=bool(t.get("instant")) and not t.get("range"),
        )
        for stem, board in boards.items()
        for panel in panels(board)
        for t in panel.get("targets", [])
    ]


def variable_queries(board: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Query variables as name -> (series selector, label) of their label_values()."""
    result = {}
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            match = _LABEL_VALUES.match(text)
            assert match, f"variable {variable['name']}: not label_values(): {text}"
            result[variable["name"]] = (match.group(1), match.group(2))
    return result


def regex_value(selected: Sequence[str]) -> str:
    """A multi-value variable as Grafana renders it for `=~`: escaped, (a|b) when several."""
    escaped = [_REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(0), v) for v in selected]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """`text` with $var, ${var}, ${var:fmt} and [[var]] replaced; KeyError on an unknown one."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        known = {**BUILTINS, **values}
        if name not in known:
            raise KeyError(f"undefined template variable ${name} in {text!r}")
        return known[name]

    return _VARIABLE.sub(replace, text)


def referenced_variables(text: str) -> set[str]:
    """The names of the template variables `text` uses."""
    return {m.group(1) or m.group(2) or m.group(3) for m in _VARIABLE.finditer(text)}


def textbox_defaults(board: Mapping[str, Any]) -> dict[str, str]:
    """Textbox and constant variables at their default values."""
    return {
        v["name"]: v["query"]
        for v in board["templating"]["list"]
        if v["type"] in ("textbox", "constant")
    }


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (exact names, __name__="x" too)."""
    names: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for m in node.matchers.matchers:
                if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal:
                    names.add(m.value)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def name_regexes(expr: str) -> set[str]:
    """The `__name__=~"..."` regexes an expression selects metrics by."""
    found: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            for m in node.matchers.matchers:
                if m.name == "__name__" and m.op == promql_parser.MatchOp.Re:
                    found.add(m.value)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def exported_names(exposition: str) -> set[str]:
    """Every metric name a /metrics text declares or samples; histograms and summaries
    also under their series suffixes."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            if kind in ("histogram", "summary", "gaugehistogram"):
                names.update(name + suffix for suffix in _HISTOGRAM_SUFFIXES)
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names
