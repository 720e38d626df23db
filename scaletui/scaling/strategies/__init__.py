"""The scaling strategies, one module each; `scaling.registry` maps their names to classes."""
