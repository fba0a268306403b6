"""Tests of exporter.metrics: a package, so module names cannot clash with other test dirs."""
