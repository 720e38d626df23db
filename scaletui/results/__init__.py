"""A run's results directory: recorded as events arrive, then read back for reports, comparisons and exports.

results/<session>/<run-id>/ — see `layout` for the file names. Modules: recorder (write), rundata (read),
summary and slo (numbers), plots and report (report.md + PNG), compare, export, sync. Import what you need from
the module itself; this package imports nothing heavy.
"""
