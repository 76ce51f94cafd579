"""From spec to predictions: the variant plan, estimators, fitting on every split, perturbations at
inference (with the prepared-space and batched fast paths) and retrained sweeps."""
