"""Modal screens: help, the `:` command line."""
