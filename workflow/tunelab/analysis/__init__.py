"""The playbook's evidence, computed from a study's tables: variance, axis and isolation plots,
training curves, the checklist, the adopt-or-reject decision and the report.

Each plot is split into `_get_<kind>_info(...)` (the data, unit-tested) and drawing. Every module
here is called by one Snakemake rule through a thin script in workflow/scripts/. Importing this
package is free: the modules import pandas and matplotlib themselves, and only `context` is used at
parse time.
"""
