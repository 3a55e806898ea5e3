"""Monitoring: Prometheus alerts, a Grafana dashboard and a drift check.

`python -m monitoring.drift` compares production inputs and predictions with the
training reference; `python -m monitoring.metrics` summarizes a /metrics scrape.
"""
