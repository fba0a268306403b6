"""The month's FOCUS export from the ledger, for `quotameter chargeback --format focus`
and `GET /chargeback.csv?format=focus` alike (so their bytes are identical).

The money comes from the same chargeback rows as the CSV (grouped by vcluster, the
finest grouping), each cell spread over its days (exporter.cost.focusrows): the
export's BilledCost adds up to the CSV's total_cost, owner by owner and in all."""

from __future__ import annotations

from exporter.cost.csvout import parse_month
from exporter.cost.focuscsv import FocusContext, render_focus
from exporter.cost.focusrows import DayProfiles, focus_rows
from exporter.cost.pricing import Pricing
from exporter.ledger.reports import chargeback_rows, policy_of
from exporter.ledger.store import Ledger


def ledger_focus(ledger: Ledger, *, month: str, cluster: str, pricing: Pricing) -> bytes:
    """A month's FOCUS CSV from what the ledger holds (flushed amounts)."""
    start, end = parse_month(month)
    policy = policy_of(pricing)
    totals, days = ledger.month_days(month)  # one snapshot: the days add up to the month
    rows = chargeback_rows(totals, group_by="vcluster", cluster=cluster, coverage=1.0,
                           policy=policy)  # fmt: skip
    profiles = DayProfiles.of(days, shared=policy.shared_namespaces)
    context = FocusContext(
        start=start,
        end=end,
        cluster=cluster,
        currency=policy.currency,
        provider=pricing.config.provider,
        shared_namespaces=tuple(sorted(policy.shared_namespaces)),
    )
    lines = focus_rows(rows, profiles, first_day=start.strftime("%Y-%m-%d"))
    return render_focus(lines, context)
