"""A simulated Kubernetes API server on loopback, faithful enough for kubectl and clients."""
