"""Cost, pure: pricing, allocation, exact integration over time, repricing, and the
chargeback rows and their CSV rendering. No SQLite, no network, no event loop."""
