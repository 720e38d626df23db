"""Node-to-node latency: Consul network coordinates on a testbed, TCP connect probes locally."""
