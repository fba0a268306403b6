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
        """Compile (regex, team) rules; ValueError names a regex that does not compile.

        A rule's team may refer to the regex's groups (``\\1``, ``\\g<name>``).
        """
        compiled = []
        for pattern, team in name_rules:
            try:
                compiled.append((re.compile(pattern), team))
            except re.error as e:
                raise ValueError(f"team rule regex {pattern!r} is invalid: {e}") from e
        return cls(
            label_keys=tuple(label_keys),
            annotation_keys=tuple(annotation_keys),
            name_rules=tuple(compiled),
        )


DEFAULT_RULES = TeamRules()


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
