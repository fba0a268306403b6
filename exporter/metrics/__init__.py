"""Prometheus collectors: each reads one immutable snapshot and yields metric families.

This package reads exporter.model only; it never imports exporter.kube or
exporter.cost (app.py wires them together).
"""
