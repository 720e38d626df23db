"""The headless face: `scaletui --script FILE` runs an experiment with no terminal UI, over the same engine."""
