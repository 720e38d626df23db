"""scaletui: elastic stream-processing experiments from one terminal app."""

__version__ = "0.1.0"
