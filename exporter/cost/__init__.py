"""Cost: pricing, exact integration of allocations over time, the SQLite ledger,
and chargeback rows and CSV. Pure except the ledger, which owns SQLite."""
