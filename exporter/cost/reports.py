"""The month's chargeback CSV from the ledger: the one function the CLI and the web
route both call, so their outputs are byte-identical."""

from __future__ import annotations

import time

from exporter.cost.chargeback import Policy
from exporter.cost.csvout import chargeback_csv
from exporter.cost.ledger import Ledger
from exporter.cost.pricing import Pricing
from exporter.cost.progress import Progress


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
    progress: Progress | None = None,
) -> bytes:
    """A month's chargeback CSV from what the ledger holds (flushed amounts)."""
    return chargeback_csv(
        ledger.rows(month),
        month=month,
        cluster=cluster,
        group_by=group_by or "team",
        coverage=ledger.coverage(month, now=time.time() if now is None else now),
        policy=policy_of(pricing),
        progress=progress,
    )
