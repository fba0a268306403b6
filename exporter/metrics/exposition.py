"""The Prometheus text format (version 0.0.4) for /metrics, re-rendering only what changed.

prometheus_client formats every sample on every scrape: about a second for 5,000
namespaces. Here each namespace's samples are kept as rendered text, one chunk per
metric, and re-rendered only when the namespace's version (ClusterState.version) moved
since the last scrape, or, for namespace_usage, when its usage did. A scrape then joins
the chunks family by family, so each metric's samples stay together under one HELP and
TYPE, namespaces in sorted order. The small cluster-wide and health families are
rendered every time.

Samples come from exporter.metrics.samples, as for the prometheus_client collectors;
tests hold the two outputs to the same samples. OpenMetrics stays with
prometheus_client's encoder over the collectors.

Compressed, the same text is kept in pieces too. A gzip stream may be several members
one after another (RFC 1952, 2.2), and decoders (Go's compress/gzip, which Prometheus
scrapes with, and Python's gzip) read them as one stream. Each run of BLOCK consecutive
pieces of one family is its own member, kept while its pieces are the same, so a scrape
compresses only the runs in which a namespace changed; the cost text is compressed once
per cost view, by whoever renders it (the accounting task, in a worker thread).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import generate_latest
from prometheus_client.registry import Collector

from exporter.metrics import families as f
from exporter.metrics.families import MetricSpec
from exporter.metrics.samples import (
    Sample,
    cluster_samples,
    cost_samples,
    health_samples,
    namespace_samples,
    usage_samples,
)
from exporter.model.costview import CostView
from exporter.model.health import InformerHealth
from exporter.model.snapshot import SpaceView
from exporter.model.state import ClusterState
from exporter.model.usage import UsageTable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_USAGE = f.STATE_METRICS.index(f.NAMESPACE_USAGE)
_UNSAMPLED = object()  # an entry's usage before its first render (None means "not sampled")
BLOCK = 64  # pieces (namespaces of one family) per gzip member
GZIP_LEVEL = 1  # zlib's fastest: the text is repetitive enough for it


def gzip_member(data: bytes) -> bytes:
    """``data`` as one whole gzip member (no name, no time: the same bytes every time)."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


class GzipMembers:
    """The gzip members of runs of pieces, kept from one scrape to the next while the
    run's pieces are equal (mostly: the same objects, compared by identity)."""

    def __init__(self) -> None:
        self._members: dict[tuple[int, int], tuple[tuple[bytes, ...], bytes]] = {}

    def compress(self, sections: Sequence[Sequence[bytes]]) -> list[bytes]:
        """One member per BLOCK pieces of each section, in order."""
        kept, members = {}, []
        for number, pieces in enumerate(sections):
            for start in range(0, len(pieces), BLOCK):
                run = tuple(pieces[start : start + BLOCK])
                known = self._members.get((number, start))
                member = known[1] if known is not None and known[0] == run else None
                if member is None:
                    member = gzip_member(b"".join(run))
                kept[(number, start)] = (run, member)
                members.append(member)
        self._members = kept
        return members


def escape_label_value(value: str) -> str:
    """A label value as the text format writes it: backslash, double quote and line
    feed escaped (the backslash first, or the other escapes would be doubled)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _EscapeCache(dict[str, str]):
    """Label values already escaped: most repeat on every line (namespace, team, resource),
    and a hit is one dict lookup in C instead of three str.replace calls."""

    limit = 1 << 18

    def __missing__(self, value: str) -> str:
        escaped = self[value] = escape_label_value(value)
        return escaped

    def bound(self) -> None:
        """Forget everything once too many distinct values were seen (churned names)."""
        if len(self) > self.limit:
            self.clear()


_ESCAPED = _EscapeCache()


def _header(spec: MetricSpec) -> bytes:
    """# HELP and # TYPE; counters are named with their _total suffix, as in MetricSpec."""
    text = spec.help.replace("\\", "\\\\").replace("\n", "\\n")
    return f"# HELP {spec.name} {text}\n# TYPE {spec.name} {spec.type}\n".encode()


def _template(spec: MetricSpec) -> str:
    """A %-format line for one sample: the label values, then the value."""
    if not spec.labels:
        return f"{spec.name} %s\n"
    labels = ",".join(f'{name}="%s"' for name in spec.labels)
    return f"{spec.name}{{{labels}}} %s\n"


_HEADERS = {spec: _header(spec) for spec in f.ALL_METRICS}
_TEMPLATES = {spec: _template(spec) for spec in f.ALL_METRICS}


def render_samples(spec: MetricSpec, samples: Sequence[Sample]) -> bytes:
    """The sample lines of one metric (no header), UTF-8.

    Values are written with %s: str() of an int or of a finite float is already the
    format's number (Python's shortest repr reads back exactly); samples never holds an
    infinity or NaN (ratios are taken only where the divisor is not 0).
    """
    if not samples:
        return b""
    template, escaped = _TEMPLATES[spec], _ESCAPED.__getitem__
    lines = [template % (*map(escaped, labels), value) for labels, value in samples]
    return "".join(lines).encode()


@dataclass(frozen=True, slots=True)
class _CostText:
    """A cost view, its text, and the text as one gzip member."""

    view: CostView | None
    text: bytes
    gzipped: bytes


@dataclass(slots=True)
class _Entry:
    """One namespace's rendered chunks (in STATE_METRICS order) and what they show."""

    version: int
    chunks: list[bytes]
    usage: object = _UNSAMPLED  # the usage mapping the usage chunk was rendered from


class TextExposition:
    """Renders /metrics in the text format, keeping each namespace's chunks between
    scrapes. Call ``render()`` on the event loop's thread, like the collectors.

    ``others`` (a CollectorRegistry, say, of the cost collectors) is appended through
    prometheus_client's own encoder on every scrape; it must not hold the state and
    health collectors, or their families would appear twice.
    """

    def __init__(
        self,
        *,
        state: ClusterState,
        health: InformerHealth,
        version: str,
        usage: UsageTable | None = None,
        cost: Callable[[], CostView] | None = None,
        others: Collector | None = None,
    ) -> None:
        self._state, self._health, self._version, self._usage = state, health, version, usage
        self._cost = cost
        self._cost_text = _CostText(None, b"", gzip_member(b""))
        self._others = others
        self._entries: dict[str, _Entry] = {}  # namespace -> entry, in snapshot order
        self._gzip = GzipMembers()

    def render(self) -> bytes:
        """The whole exposition: per-namespace metrics, then cluster-wide and health."""
        families, tail, cost, others = self._pieces()
        return b"".join([*(b"".join(pieces) for pieces in families), tail, cost.text, others])

    def render_gzip(self) -> bytes:
        """The same text as ``render()``, gzip-compressed (a stream of several members)."""
        families, tail, cost, others = self._pieces()
        members = self._gzip.compress([*families, [tail]])
        return b"".join([*members, cost.gzipped, gzip_member(others) if others else b""])

    def _pieces(self) -> tuple[list[list[bytes]], bytes, _CostText, bytes]:
        """Per family its header and every namespace's chunk; the cluster-wide and
        health text; the cost text; the other registry's text."""
        _ESCAPED.bound()
        entries = self._refresh()
        families = [
            [_HEADERS[spec], *[entry.chunks[index] for entry in entries]]
            for index, spec in enumerate(f.STATE_METRICS)
        ]
        tail: list[bytes] = []
        up = self._usage is not None and self._usage.up
        self._render_all(tail, cluster_samples(metrics_api_up=up))
        self._render_all(tail, health_samples(self._health.snapshot(), version=self._version))
        if self._cost is not None:
            view = self._cost()
            if view is not self._cost_text.view:  # the accounting task has not rendered it
                self.render_cost(view)
        others = generate_latest(self._others) if self._others is not None else b""
        return families, b"".join(tail), self._cost_text, others

    def render_cost(self, view: CostView) -> None:
        """Render (and compress) the cost metrics of ``view`` for the scrapes that follow.
        The view is immutable, so this may run in a worker thread (the accounting task
        does)."""
        parts: list[bytes] = []
        self._render_all(parts, cost_samples(view))
        text = b"".join(parts)
        self._cost_text = _CostText(view, text, gzip_member(text))

    def _refresh(self) -> list[_Entry]:
        """Bring every namespace's chunks up to date; forget namespaces that are gone."""
        usage = self._usage.namespace_usage() if self._usage is not None else {}
        old, fresh = self._entries, {}
        for view in self._state.snapshot().spaces:
            entry = old.get(view.namespace)
            if entry is None or entry.version != view.version:
                entry = _Entry(view.version, _render_namespace(view))
            _refresh_usage(entry, view, usage.get(view.namespace))
            fresh[view.namespace] = entry
        self._entries = fresh
        return list(fresh.values())

    @staticmethod
    def _render_all(parts: list[bytes], samples: Mapping[MetricSpec, list[Sample]]) -> None:
        for spec, values in samples.items():
            parts += (_HEADERS[spec], render_samples(spec, values))


def _render_namespace(view: SpaceView) -> list[bytes]:
    samples = namespace_samples(view)
    return [render_samples(spec, samples[spec]) for spec in f.STATE_METRICS]


def _refresh_usage(entry: _Entry, view: SpaceView, usage: Mapping[str, int] | None) -> None:
    # The usage sample is replaced whole every poll: compare values, not versions.
    if entry.usage is _UNSAMPLED or entry.usage != usage:
        entry.chunks[_USAGE] = render_samples(f.NAMESPACE_USAGE, usage_samples(view, usage))
        entry.usage = usage
