"""Which team owns a namespace, or a pod synced into it by a vcluster.

In order: the first present namespace label of ``label_keys``, then the first present
annotation of ``annotation_keys``, then the first regex rule that matches the
namespace name, else ``unallocated``. A pod synced by vcluster carries its own team
label, which wins over its host namespace's team.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from exporter.model.records import NamespaceRecord, PodRecord

UNALLOCATED = "unallocated"


@dataclass(frozen=True, slots=True)
class TeamRules:
    """Team resolution settings; build from configuration with ``TeamRules.build``."""

    label_keys: tuple[str, ...] = ("team",)
    annotation_keys: tuple[str, ...] = ()
    name_rules: tuple[tuple[re.Pattern[str], str], ...] = ()
    default: str = UNALLOCATED

    @classmethod
    def build(
        cls,
        *,
        label_keys: Iterable[str] = ("team",),
        annotation_keys: Iterable[str] = (),
        name_rules: Iterable[tuple[str, str]] = (),
    ) -> TeamRules:
        """Compile (regex, team) rules; ValueError names a regex that does not compile
        or a team that refers to a group the regex does not have.

        A rule's team may refer to the regex's groups (``\\1``, ``\\g<name>``).
        """
        compiled = []
        for pattern, team in name_rules:
            try:
                regex = re.compile(pattern)
            except re.error as e:
                raise ValueError(f"team rule regex {pattern!r} is invalid: {e}") from e
            problem = template_problem(regex, team)
            if problem:
                raise ValueError(f"team rule {pattern!r} -> {team!r}: {problem}")
            compiled.append((regex, team))
        return cls(
            label_keys=tuple(label_keys),
            annotation_keys=tuple(annotation_keys),
            name_rules=tuple(compiled),
        )


DEFAULT_RULES = TeamRules()

# A backslash and what follows it in a replacement template, as re reads them.
_TEMPLATE_ESCAPE = re.compile(r"\\(?:g<([^>]*)>|([0-9]{1,3})|(.))", re.DOTALL)
_OCTAL = frozenset("01234567")
_LETTER_ESCAPES = frozenset("abfnrtv")  # the ASCII letters a template may escape


def template_problem(pattern: re.Pattern[str], template: str) -> str | None:
    """Why ``template`` cannot expand a match of ``pattern`` (a group it lacks, a bad
    escape), or None when every match can be expanded."""
    for match in _TEMPLATE_ESCAPE.finditer(template):
        name, digits, other = match.groups()
        if other is not None:
            if other.isascii() and other.isalpha() and other not in _LETTER_ESCAPES:
                return f"bad escape \\{other} in the team template"
            continue
        if digits is not None:
            if digits[0] == "0" or (len(digits) == 3 and set(digits) <= _OCTAL):
                continue  # an octal character escape, not a group
            index = int(digits[:2])
        elif name.isdigit() and name.isascii():
            index = int(name)
        elif name.isidentifier():
            if name not in pattern.groupindex:
                return f"the regex has no group named {name!r}"
            continue
        else:
            return f"bad group reference \\g<{name}> in the team template"
        if index > pattern.groups:
            return f"the regex has no group {index} (it has {pattern.groups})"
    return None


def namespace_team(name: str, record: NamespaceRecord | None, rules: TeamRules) -> str:
    """The team of namespace ``name``; ``record`` is None while the namespace is unknown."""
    if record is not None:
        found = _first(record.labels, rules.label_keys) or _first(
            record.annotations, rules.annotation_keys
        )
        if found:
            return found
    for pattern, template in rules.name_rules:
        match = pattern.search(name)
        # A template whose groups matched nothing yields "": no team, try the next rule.
        team = match.expand(template) if match else ""
        if team:
            return team
    return rules.default


def pod_team(pod: PodRecord, host_team: str) -> str:
    """The team a pod is charged to: a vcluster pod's own team label wins over its host's."""
    if pod.vcluster is not None and pod.team:
        return pod.team
    return host_team


def _first(pairs: tuple[tuple[str, str], ...], keys: tuple[str, ...]) -> str | None:
    # Pairs are few (only the configured keys are kept), so a scan beats a dict.
    for key in keys:
        for have, value in pairs:
            if have == key and value:
                return value
    return None
