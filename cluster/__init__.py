"""The real Kubernetes control plane on loopback, for tests and benchmarks (not shipped)."""
