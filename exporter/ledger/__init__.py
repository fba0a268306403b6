"""The SQLite cost ledger: durable amounts, month totals and the chargeback CSV."""
