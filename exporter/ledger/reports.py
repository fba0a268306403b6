"""The month's chargeback CSV from the ledger: the one function the CLI and the web
route both call, so their outputs are byte-identical."""

from __future__ import annotations

import time

from exporter.cost.chargeback import ChargebackRow, Policy, build_rows, month_totals
from exporter.cost.csvout import parse_group_by, parse_month, period_of, render_csv
from exporter.cost.pricing import Pricing
from exporter.cost.records import MonthTotals
from exporter.ledger.store import Ledger


def policy_of(pricing: Pricing) -> Policy:
    """How idle and shared cost are spread, from the pricing file."""
    config = pricing.config
    return Policy(
        currency=config.currency,
        idle=config.idle,
        shared_namespaces=frozenset(config.shared.namespaces),
        split=config.shared.split,
    )


def ledger_csv(
    ledger: Ledger,
    *,
    month: str,
    group_by: str | None,
    cluster: str,
    pricing: Pricing,
    now: float | None = None,
) -> bytes:
    """A month's chargeback CSV from what the ledger holds (flushed amounts).

    The month is summed by SQLite (per owner, and per day for idle) rather than read
    row by row: about half the time for 5,000 namespaces, and the same CSV."""
    parse_month(month)
    group = parse_group_by(group_by)
    rows = chargeback_rows(
        ledger.month_totals(month),
        group_by=group,
        cluster=cluster,
        coverage=ledger.coverage(month, now=time.time() if now is None else now),
        policy=policy_of(pricing),
    )
    return render_csv(rows, group_by=group)


def chargeback_rows(
    totals: MonthTotals, *, group_by: str, cluster: str, coverage: float, policy: Policy
) -> list[ChargebackRow]:
    """The chargeback rows of a month the ledger summed; the CSV and FOCUS exports both
    start here, so their money agrees to the cent."""
    start, _ = parse_month(totals.month)
    owners, idle = month_totals(totals)
    return build_rows(
        owners,
        idle,
        period=period_of(start),
        cluster=cluster,
        group_by=group_by,
        coverage=coverage,
        policy=policy,
    )
