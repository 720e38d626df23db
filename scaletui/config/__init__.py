"""Configuration under conf/: typed models, loading with errors that name file, key and expectation."""
