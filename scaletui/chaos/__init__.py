"""Faults with a guaranteed end.

- `ledger.ChaosLedger`: write-ahead fault ledger in the session, expiry thread, revert on quit, crash recovery;
- `local.LocalFaults`: kill, pause, stress-ng, and delay / loss / bandwidth on one process's egress;
- `chaosmesh.ChaosMeshFaults`: the same faults as Chaos Mesh resources on Kubernetes;
- `schedule.FaultScheduler`: an experiment file's [[faults]] on an injected clock.

This package imports nothing itself: the delay queue runs as `python -m scaletui.chaos.delayqueue` and must start
fast, and the kubernetes client and jsonschema load only when a Chaos Mesh fault is made.
"""
