"""The pure core: quantities, records decoded from API bodies, and their aggregates.

Nothing here performs I/O; the edges (kube/, metrics/, cost/) feed it and read it.
"""
