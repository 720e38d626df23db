"""Metrics: per-operator throughput, busy/backpressured time, latency, TaskManager resources."""
