"""Search stage: the search space, samplers, the plan of trials, the baseline; adaptive rounds and rungs."""
