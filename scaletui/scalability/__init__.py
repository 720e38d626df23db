"""Theodolite's scalability benchmark on any platform: the demand curve (load -> least resources holding the SLO),
found by search over short runs of the user's experiment through the engine."""
