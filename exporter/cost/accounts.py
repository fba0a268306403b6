"""One cost account: an owner x resource whose rate is piecewise constant in time.

An account holds the integer amount of its resource currently allocated to it (the sum
of its charges' entries, kept per price so that the rate is recomputed exactly rather
than drifting through thousands of float additions and removals) and the moment its
open interval started. ``close(now)`` adds rate x (now - since) to the day buckets,
cut at each UTC midnight, and starts a new interval; a rate change closes first.
"""

from __future__ import annotations

from exporter.cost.days import SECONDS_PER_DAY, SECONDS_PER_HOUR, day_key, split_by_day


class Account:
    """The running amount, rate and accrued-but-unflushed cost of one owner x resource."""

    __slots__ = ("_amounts", "amount", "cost_per_hour", "cost_total", "fields", "pending",
                 "scale", "since", "zero_since")  # fmt: skip

    def __init__(self, *, fields: tuple[str, str, str, str, str], scale: int, now: float) -> None:
        self.fields = fields  # (namespace, team, vcluster, virtual_namespace, resource)
        self.scale = scale  # base units per ledger unit (records.UNIT_SCALE)
        self._amounts: dict[float, int] = {}  # price per unit-hour -> base units at that price
        self.amount = 0  # base units allocated now
        self.cost_per_hour = 0.0  # currency per hour now
        self.since = now  # start of the open interval
        self.pending: dict[str, list[float]] = {}  # day -> [unit-seconds, cost] not yet flushed
        self.cost_total = 0.0  # currency accrued since this process started
        self.zero_since: float | None = now  # when the amount last became 0; None while > 0

    def close(self, now: float, *, accrue: bool = True) -> None:
        """End the open interval at ``now``, adding what it accrued unless told not to.

        A clock that went backwards accrues nothing and keeps ``since``: the time is
        counted once the clock passes it again, never twice.
        """
        if now <= self.since:
            return
        if accrue and self.amount:
            units_per_second = self.amount / self.scale
            cost_per_second = self.cost_per_hour / SECONDS_PER_HOUR
            day = int(self.since // SECONDS_PER_DAY)
            if now <= (day + 1) * SECONDS_PER_DAY:  # the common case: within one day
                self._accrue(day_key(day), now - self.since, units_per_second, cost_per_second)
            else:
                for key, seconds in split_by_day(self.since, now):
                    self._accrue(key, seconds, units_per_second, cost_per_second)
        self.since = now

    def _accrue(self, day: str, seconds: float, units: float, cost: float) -> None:
        bucket = self.pending.get(day)
        if bucket is None:
            bucket = self.pending[day] = [0.0, 0.0]
        bucket[0] += units * seconds
        bucket[1] += cost * seconds
        self.cost_total += cost * seconds

    def add(self, price: float, amount: int, *, now: float) -> None:
        """Move ``amount`` base units (negative to remove) at ``price``; close first."""
        left = self._amounts.get(price, 0) + amount
        if left:
            self._amounts[price] = left
        else:
            self._amounts.pop(price, None)
        self.amount += amount
        amounts = self._amounts
        if len(amounts) == 1:  # the common case: one price (one node pool)
            ((only, units),) = amounts.items()
            self.cost_per_hour = only * units / self.scale
        else:
            self.cost_per_hour = sum(p * a for p, a in amounts.items()) / self.scale
        if self.amount == 0:
            self.cost_per_hour = 0.0  # exact: nothing is left at any price
            self.zero_since = now if self.zero_since is None else self.zero_since
        else:
            self.zero_since = None

    def units(self) -> float:
        """Ledger units allocated now (cores, GiB, GPUs)."""
        return self.amount / self.scale

    def settle(self, day: str, unit_seconds: float, cost: float) -> None:
        """Take a flushed (committed) amount out of the pending bucket of ``day``."""
        bucket = self.pending.get(day)
        if bucket is None:
            return
        bucket[0] -= unit_seconds
        bucket[1] -= cost
        # x - x is exactly 0, so a bucket nothing was added to since the flush empties.
        if bucket[0] == 0 and bucket[1] == 0:
            del self.pending[day]

    def dormant(self, now: float, *, after: float) -> bool:
        """Whether nothing is allocated or pending, and has not been for ``after`` seconds."""
        return not self.pending and self.zero_since is not None and now - self.zero_since >= after
