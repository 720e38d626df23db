"""Reusable widgets: the status bar and the filterable table."""
