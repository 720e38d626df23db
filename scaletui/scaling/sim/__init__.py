"""The streaming-job simulator's model: operator graph, CPU sharing, flow dynamics and the oracle."""
