"""Fleet chargeback: the Prometheus-API client and the queries over many clusters."""
