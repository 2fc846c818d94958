"""Sanity tools: simple baselines, the overfit check, training dynamics, fast mode, fidelity."""
