"""Report stage: what a person reads at the end, built from the analysis stage's tables and plots:
report.md (tunelab.report.markdown), report.html (tunelab.report.html), and the Optuna journal that
optuna-dashboard opens (tunelab.report.journal)."""
