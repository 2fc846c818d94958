"""tunelab: reproducible hyperparameter tuning over rotating periods of time-stamped data."""

__version__ = "0.1.0"
