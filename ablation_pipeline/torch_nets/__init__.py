"""Torch networks as ablation subjects: build a declared network (`build`), train it behind
scikit-learn estimators (`estimator`, `train`), knock layers out at inference (`knockouts`). The
network's spec lives in `spec.network`, so specs validate where torch is not installed."""
