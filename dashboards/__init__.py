"""Generator of quotameter's Grafana dashboards; `python -m dashboards.build` writes the JSON."""
