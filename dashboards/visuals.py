"""Grafana visualisations: time series, table, stat, bar gauge, pie chart and bar chart,
each with the options Grafana 10.4+ writes for it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dashboards.grafana import PLAIN, Json, Query, panel


def _reduce() -> Json:
    return {"calcs": ["lastNotNull"], "fields": "", "values": False}


def _visual(
    kind: str,
    title: str,
    text: tuple[str, Sequence[Query], tuple[int, int]],
    defaults: Json,
    options: Json,
    **extra: Iterable[Json],
) -> Json:
    """`panel` for a visualisation; `text` is its (description, queries, size)."""
    description, queries, size = text
    return panel(
        kind,
        title,
        description=description,
        queries=queries,
        size=size,
        defaults=defaults,
        options=options,
        **extra,
    )


def _merge_organize(exclude: Json, index: Json, columns: dict[str, str]) -> list[Json]:
    """Merge instant queries on their labels, then drop, order and rename columns."""
    organize = {"excludeByName": exclude, "indexByName": index, "renameByName": columns}
    return [{"id": "merge", "options": {}}, {"id": "organize", "options": organize}]


def _legend(mode: str = "table", calcs: Sequence[str] = ("lastNotNull",)) -> Json:
    return {"calcs": list(calcs), "displayMode": mode, "placement": "bottom", "showLegend": True}


def timeseries(
    title: str,
    *,
    description: str,
    queries: Sequence[Query],
    unit: str,
    size: tuple[int, int] = (12, 8),
    stacked: bool = False,
    bars: bool = False,
    steps: Json = PLAIN,
    threshold_lines: bool = False,
    minimum: float | None = 0,
    overrides: Iterable[Json] = (),
) -> Json:
    """A time series panel; `threshold_lines` draws the thresholds as dashed lines."""
    custom = {
        "drawStyle": "bars" if bars else "line",
        "fillOpacity": 80 if bars else (60 if stacked else 10),
        "lineWidth": 1,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if stacked else "none"},
        "thresholdsStyle": {"mode": "dashed" if threshold_lines else "off"},
    }
    defaults: Json = {
        "color": {"mode": "palette-classic"},
        "custom": custom,
        "thresholds": steps,
        "unit": unit,
    }
    if minimum is not None:
        defaults["min"] = minimum
    options = {"legend": _legend(), "tooltip": {"mode": "multi", "sort": "desc"}}
    text = (description, queries, size)
    return _visual("timeseries", title, text, defaults, options, overrides=overrides)


def table(
    title: str,
    *,
    description: str,
    queries: Sequence[Query],
    columns: dict[str, str],
    unit: str = "short",
    size: tuple[int, int] = (24, 9),
    order: Sequence[str] = (),
    sort_by: str | None = None,
    overrides: Iterable[Json] = (),
) -> Json:
    """A table of instant queries merged on their labels; `columns` renames value columns
    and `order` lists the columns (labels, then values, by their original names) first."""
    exclude = {name: True for name in ("Time", "__name__", "instance", "job")}
    index = {name: i for i, name in enumerate(order)}
    transformations = _merge_organize(exclude, index, columns)
    options: Json = {
        "cellHeight": "sm",
        "footer": {"countRows": False, "fields": "", "reducer": ["sum"], "show": False},
        "showHeader": True,
    }
    if sort_by:
        options["sortBy"] = [{"desc": True, "displayName": sort_by}]  # the fullest first
    defaults = {
        "color": {"mode": "thresholds"},
        "custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True},
        "thresholds": PLAIN,
        "unit": unit,
    }
    text = (description, queries, size)
    return _visual(
        "table",
        title,
        text,
        defaults,
        options,
        overrides=overrides,
        transformations=transformations,
    )


def stat(
    title: str,
    *,
    description: str,
    queries: Sequence[Query],
    unit: str,
    size: tuple[int, int] = (6, 6),
    steps: Json = PLAIN,
    mappings: Sequence[Json] = (),
    graph: bool = False,
) -> Json:
    """A stat panel, one tile per series, coloured by thresholds or value mappings."""
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": list(mappings),
        "thresholds": steps,
        "unit": unit,
    }
    options = {
        "colorMode": "background",
        "graphMode": "area" if graph else "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "reduceOptions": _reduce(),
        "showPercentChange": False,
        "textMode": "value_and_name",
        "wideLayout": True,
    }
    text = (description, queries, size)
    return _visual("stat", title, text, defaults, options)


def bargauge(
    title: str,
    *,
    description: str,
    queries: Sequence[Query],
    unit: str,
    size: tuple[int, int] = (12, 8),
    steps: Json = PLAIN,
    maximum: float | None = None,
    links: Iterable[Json] = (),
) -> Json:
    """Horizontal bars, one per series, in the order the query returns them."""
    defaults: Json = {"color": {"mode": "thresholds"}, "min": 0, "thresholds": steps, "unit": unit}
    if maximum is not None:
        defaults["max"] = maximum
    options = {
        "displayMode": "gradient",
        "maxVizHeight": 300,
        "minVizHeight": 16,
        "minVizWidth": 8,
        "namePlacement": "left",
        "orientation": "horizontal",
        "reduceOptions": _reduce(),
        "showUnfilled": True,
        "sizing": "auto",
        "valueMode": "color",
    }
    text = (description, queries, size)
    return _visual("bargauge", title, text, defaults, options, links=links)


def piechart(
    title: str, *, description: str, queries: Sequence[Query], unit: str, size=(8, 8)
) -> Json:
    """A donut chart of the last value of each series, with values and percentages."""
    options = {
        "displayLabels": ["percent"],
        "legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                   "values": ["value", "percent"]},
        "pieType": "donut",
        "reduceOptions": _reduce(),
        "tooltip": {"mode": "single", "sort": "none"},
    }  # fmt: skip
    defaults = {"color": {"mode": "palette-classic"}, "unit": unit}
    text = (description, queries, size)
    return _visual("piechart", title, text, defaults, options)


def barchart(
    title: str,
    *,
    description: str,
    queries: Sequence[Query],
    unit: str,
    x_field: str,
    columns: dict[str, str],
    size: tuple[int, int] = (12, 8),
) -> Json:
    """Grouped bars of instant table queries merged on `x_field`; `columns` names the bars."""
    transformations = _merge_organize({"Time": True}, {}, columns)
    options = {
        "barRadius": 0,
        "barWidth": 0.8,
        "groupWidth": 0.7,
        "legend": _legend("list", ()),
        "orientation": "horizontal",
        "showValue": "auto",
        "stacking": "none",
        "tooltip": {"mode": "multi", "sort": "none"},
        "xField": x_field,
        "xTickLabelRotation": 0,
    }
    defaults = {
        "color": {"mode": "palette-classic"},
        "custom": {"fillOpacity": 80, "gradientMode": "none", "lineWidth": 1},
        "min": 0,
        "unit": unit,
    }
    text = (description, queries, size)
    return _visual("barchart", title, text, defaults, options, transformations=transformations)
