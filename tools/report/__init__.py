"""The report on SST-2 runs behind tools/report.py: loading run files, statistics, the claims
table, sections of report.md and figures."""
