"""Exact integration of cost over time: charges in, accrued unit-seconds and cost out.

Every priced object (a pod, a claim, a node) has one current charge under a key.
``set(key, charge, now)`` closes the open interval of each account the old or the new
charge touches (rate x elapsed, split at UTC midnights), then moves the amounts: work
proportional to the entries of one object, whatever the size of the cluster. Between
changes nothing is sampled; the rate is constant, so the integral is exact.

Time is passed in (``now``, Unix seconds): the integrator has no clock of its own, and
tests drive it with literal timestamps. Nothing accrues before ``start(now)``: until
the informers have listed the cluster, the charges are incomplete, and that time counts
as not observed (coverage) rather than as cost.

``pending(now)`` hands the ledger a ``Batch`` of everything accrued and not yet
flushed; ``committed(batch)`` takes exactly that out once the ledger's transaction has
committed, so a failed flush loses nothing and a later one writes it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass

from exporter.cost.accounts import Account
from exporter.cost.allocation import NO_CHARGE, Charge, Entry
from exporter.cost.days import split_by_day
from exporter.cost.records import CAPACITY_NAMESPACE, UNIT_SCALE, Coverage, LedgerRow, Owner

AccountKey = tuple[Owner, str]  # (owner, resource)
# An account with nothing allocated for this long is forgotten (its cost_total series
# ends): namespaces come and go, and the process must not grow with every one seen.
DORMANT_AFTER = 3600.0


SeriesKey = tuple[str, str, str, str, str]  # (namespace, team, vcluster, virtual_ns, resource)
CostRow = tuple[SeriesKey, str, float, float]  # (series, day, unit_seconds, cost)


@dataclass(frozen=True, slots=True)
class Batch:
    """What one flush writes: accrued cost rows and observed seconds per UTC day, up to
    ``until``. Rows are plain tuples (a flush of 30,000 rows must stay well under 200 ms);
    ``accounts[i]`` is the account ``cost[i]`` came from, to settle it after the commit."""

    until: float
    cost: tuple[CostRow, ...]
    coverage: tuple[Coverage, ...]
    accounts: tuple[Account, ...] = ()

    @staticmethod
    def join(until: float, parts: list[Batch]) -> Batch:
        """One batch of ``parts`` (from ``Integrator.pending_steps``)."""
        return Batch(
            until,
            tuple(row for part in parts for row in part.cost),
            tuple(cover for part in parts for cover in part.coverage),
            tuple(account for part in parts for account in part.accounts),
        )

    @property
    def rows(self) -> tuple[LedgerRow, ...]:
        """The cost rows as LedgerRows (for inspection; the ledger writes ``cost``)."""
        return tuple(LedgerRow(day, Owner(*key[:4]), key[4], units, cost)
                     for key, day, units, cost in self.cost)  # fmt: skip


class Integrator:
    """Current charges by key, and the accounts they add up to."""

    def __init__(self) -> None:
        self._charges: dict[Hashable, Charge] = {}
        self._accounts: dict[AccountKey, Account] = {}
        self._started: float | None = None  # when observation began
        self._observed_until: float | None = None  # end of the observed time already bucketed
        self._observed: dict[str, float] = {}  # day -> observed seconds not yet flushed
        self._next_sweep = 0.0  # when committed() next looks for dormant accounts

    @property
    def started(self) -> bool:
        """Whether cost is being accrued (``start`` was called)."""
        return self._started is not None

    def start(self, now: float) -> None:
        """Begin accruing at ``now``: the current charges are complete. Idempotent."""
        if self._started is not None:
            return
        self._started = self._observed_until = now
        for account in self._accounts.values():
            account.close(now, accrue=False)

    def set(self, key: Hashable, charge: Charge, now: float) -> bool:
        """Replace the charge under ``key``; False (and no work) when it is unchanged."""
        old: Sequence[Entry] = self._charges.get(key, NO_CHARGE)
        new: Sequence[Entry]
        if old == charge:
            return False
        if len(old) == len(charge):  # mostly one entry moved (cpu usage): touch only that
            pairs = [(o, n) for o, n in zip(old, charge, strict=True) if o != n]
            old, new = [o for o, _ in pairs], [n for _, n in pairs]
        else:
            new = charge
        for owner, resource, price, amount in old:
            self._account(owner, resource, now).add(price, -amount, now=now)
        for owner, resource, price, amount in new:
            self._account(owner, resource, now).add(price, amount, now=now)
        if charge:
            self._charges[key] = charge
        else:
            self._charges.pop(key, None)
        return True

    def remove(self, key: Hashable, now: float) -> bool:
        """Drop the charge under ``key`` (the object is gone)."""
        return self.set(key, NO_CHARGE, now)

    def charge(self, key: Hashable) -> Charge:
        """The current charge under ``key`` (empty when there is none)."""
        return self._charges.get(key, NO_CHARGE)

    def accounts(self) -> Iterator[tuple[Owner, str, Account]]:
        """Every live account as (owner, resource, account); close_all first for totals."""
        for (owner, resource), account in self._accounts.items():
            yield owner, resource, account

    def close_all(self, now: float) -> None:
        """Close every open interval at ``now`` (before reading totals or pending cost)."""
        accrue = self._started is not None
        for account in self._accounts.values():
            account.close(now, accrue=accrue)
        self._observe(now)

    def _observe(self, now: float) -> None:
        if self._observed_until is not None and now > self._observed_until:
            for day, seconds in split_by_day(self._observed_until, now):
                self._observed[day] = self._observed.get(day, 0.0) + seconds
            self._observed_until = now

    def pending(self, now: float) -> Batch:
        """Everything accrued up to ``now`` and not yet committed, without forgetting it."""
        return Batch.join(now, list(self.pending_steps(now, step=len(self._accounts) or 1)))

    def pending_steps(self, now: float, *, step: int) -> Iterator[Batch]:
        """``pending(now)`` in parts of ``step`` accounts, so that a caller can let other
        work run between them (join them with ``Batch.join``). Accounts created meanwhile
        wait for the next flush; one an event touched meanwhile has accrued past ``now``,
        and its part says so: amounts are never lost or counted twice either way."""
        accounts = list(self._accounts.values())
        accrue = self._started is not None
        self._observe(now)
        coverage = tuple(Coverage(day, seconds) for day, seconds in self._observed.items())
        for start in range(0, len(accounts), step):
            cost: list[CostRow] = []
            owners: list[Account] = []
            for account in accounts[start : start + step]:
                account.close(now, accrue=accrue)
                for day, (units, money) in account.pending.items():
                    cost.append((account.fields, day, units, money))
                    owners.append(account)
            yield Batch(now, tuple(cost), coverage if start == 0 else (), tuple(owners))
        if not accounts:
            yield Batch(now, (), coverage)

    def pending_month_cost(self, now: float, month: str) -> dict[tuple[str, str, str], float]:
        """Unflushed cost up to ``now`` in ``month`` per (namespace, team, resource),
        capacity left out: what the ledger adds to its stored month-to-date."""
        self.close_all(now)
        totals: dict[tuple[str, str, str], float] = {}
        for (owner, resource), account in self._accounts.items():
            if owner.namespace == CAPACITY_NAMESPACE:
                continue
            for day, (_, cost) in account.pending.items():
                if day.startswith(month):
                    key = (owner.namespace, owner.team, resource)
                    totals[key] = totals.get(key, 0.0) + cost
        return totals

    def committed(self, batch: Batch) -> None:
        """The ledger holds ``batch`` now: take exactly its amounts out of the pending ones."""
        for account, row in zip(batch.accounts, batch.cost, strict=True):
            account.settle(row[1], row[2], row[3])
        for cover in batch.coverage:
            left = self._observed.get(cover.day, 0.0) - cover.observed_seconds
            if left > 0:
                self._observed[cover.day] = left
            else:
                self._observed.pop(cover.day, None)
        if batch.until >= self._next_sweep:  # a sweep visits every account: not every flush
            self._forget_dormant(batch.until)
            self._next_sweep = batch.until + DORMANT_AFTER / 6

    def _account(self, owner: Owner, resource: str, now: float) -> Account:
        key = (owner, resource)
        account = self._accounts.get(key)
        if account is None:
            fields = (*_owner_fields(owner), resource)
            account = Account(fields=fields, scale=UNIT_SCALE[resource], now=now)
            self._accounts[key] = account
        else:
            account.close(now, accrue=self._started is not None)
        return account

    def _forget_dormant(self, now: float) -> None:
        # cost_total is exported summed per (namespace, team, resource): forget accounts
        # only when all of such a line are dormant, or the counter would go down.
        dormant, alive = [], set()
        for key, account in self._accounts.items():
            if account.dormant(now, after=DORMANT_AFTER):
                dormant.append(key)
            else:
                alive.add(_line(key))
        for key in dormant:
            if _line(key) not in alive:
                del self._accounts[key]


def _owner_fields(owner: Owner) -> tuple[str, str, str, str]:
    return owner.namespace, owner.team, owner.vcluster, owner.virtual_namespace


def _line(key: AccountKey) -> tuple[str, str, str]:
    return key[0].namespace, key[0].team, key[1]
