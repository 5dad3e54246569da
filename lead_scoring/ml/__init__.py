"""Plain-Python ML: features contract, split, baseline, model, metrics, registry, scoring."""
