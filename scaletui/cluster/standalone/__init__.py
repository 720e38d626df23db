"""A standalone Flink cluster on this machine as a cluster backend: real JobManager and TaskManager processes on
loopback, the workload job, rescaling by savepoint, downtime measured from metrics."""
