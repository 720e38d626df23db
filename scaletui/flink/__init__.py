"""Apache Flink on this machine: install from the registry wheels, REST client, local cluster, metrics."""
