"""Tests of exporter.kube: a package, so module names cannot clash with tests/sim."""
