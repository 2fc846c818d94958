"""Training stage: everything a training job runs (loop, models, optimisers, GPU claim)."""
