"""Inference-time ablation: ours against Captum on the same trained model and rows, side by side.

  feature  `mean` feature ablation of each of the 64 pixels of the digits CNN (the training mean
           is 0 after the pipeline's scaler) vs Captum FeatureAblation(baselines=0), target class
           probabilities; ours goes through the study's own path (prepared space, 8 variants per predict)
  layer    zero knock-out of each conv/dense layer vs Captum LayerFeatureAblation with one mask
           group per layer (the whole layer's output ablated at once)

Prints median times over interleaved rounds, the median per-round ratio ours/Captum (fastest Captum setting) and the largest
difference between the two attributions. Run: .venv/bin/python benchmarks/bench_inference_ablation.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from captum.attr import FeatureAblation, LayerFeatureAblation

from ablation_pipeline.ablations.batched import predict_together
from ablation_pipeline.ablations.chunks import chunks
from ablation_pipeline.ablations.perturbations import perturb
from ablation_pipeline.ablations.variants import feature_predictions
from ablation_pipeline.pipeline.setup import plan_study, set_up
from ablation_pipeline.pipeline.steps import baseline
from ablation_pipeline.pipeline.steps import study_splits as make_splits
from ablation_pipeline.spec.loading import parse_spec
from ablation_pipeline.torch_nets.knockouts import knockout

REPEATS = 9


def interleaved(candidates: dict[str, object]) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Each candidate once per round, rounds repeated: the machine's load drifts alike for all of
    them. Returns median seconds per candidate and each round's seconds (for per-round ratios)."""
    rounds: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(REPEATS):
        for name, fn in candidates.items():
            started = time.perf_counter()
            fn()
            rounds[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) for name, times in rounds.items()}, rounds


def ratio(rounds: dict[str, list[float]], ours: str, reference: str) -> float:
    """Median over rounds of ours / reference, both timed in the same round."""
    return statistics.median(a / b for a, b in zip(rounds[ours], rounds[reference], strict=True))


def main() -> None:
    torch.set_num_threads(1)
    raw = yaml.safe_load(Path("data/studies/digits_cnn.yaml").read_text())
    raw["model"]["network"]["training"]["epochs"] = 5
    raw["ablations"] = [{"features": "each", "mode": "mean"}]
    spec = parse_spec(raw)
    setup = set_up(plan_study(spec))
    split = make_splits(setup)[0]
    base = baseline(setup, [split])
    model = base.models[0]
    rows = setup.dataset.features.iloc[split.test]
    X = torch.tensor(model[:-1].transform(rows), dtype=torch.float32)
    network = model[-1].model_.eval()
    target = torch.tensor(model.predict(rows).astype(int))
    forward = lambda x: torch.softmax(network(x), dim=1)  # noqa: E731
    print(f"digits CNN, {len(rows)} test rows, {X.shape[1]} features, torch threads 1, median of {REPEATS}")

    variants = list(setup.plan.variants)

    together = chunks(variants, setup.dataset.n_rows, spec.evaluation.folds)  # as the study's graph step cuts them

    def ours_features() -> np.ndarray:  # the study's own path: baseline predictions stored, a few variants per predict call
        original = base.folds[0].scores[0]
        ablated = {o.name: o.folds[0].scores[0] for chunk in together for o in predict_together(chunk, setup.dataset, [split], 0, base)}
        out = np.empty((len(rows), len(variants)))
        for i, variant in enumerate(variants):
            out[:, i] = (original - ablated[variant.name])[np.arange(len(rows)), target.numpy()]
        return out

    def ours_features_one_by_one() -> np.ndarray:  # one predict call per variant, in the prepared space (before)
        original = base.folds[0].scores[0]
        out = np.empty((len(rows), len(variants)))
        for i, variant in enumerate(variants):
            ablated = feature_predictions(variant, model, setup.dataset, split, 0)[0][1]
            out[:, i] = (original - ablated)[np.arange(len(rows)), target.numpy()]
        return out

    def ours_features_raw() -> np.ndarray:  # perturb the raw rows and re-run the whole pipeline
        original = model.predict_proba(rows)
        out = np.empty((len(rows), len(variants)))
        for i, variant in enumerate(variants):
            ablated = model.predict_proba(perturb(variant, setup.dataset, split, 0, 0))
            out[:, i] = (original - ablated)[np.arange(len(rows)), target.numpy()]
        return out

    def ours_features_tensor() -> np.ndarray:  # the same ablation on the prepared tensor (no pandas)
        with torch.inference_mode():
            original = forward(X)
            out = torch.empty(len(rows), X.shape[1])
            for i in range(X.shape[1]):
                ablated = X.clone()
                ablated[:, i] = 0.0
                out[:, i] = (original - forward(ablated))[torch.arange(len(rows)), target]
        return out.numpy()

    def captum_features(k: int):
        return lambda: FeatureAblation(forward).attribute(X, baselines=0.0, target=target, perturbations_per_eval=k).detach().numpy()

    captum = {k: captum_features(k) for k in (1, 8)}
    reference = captum[1]()
    diff = max(np.abs(f() - reference).max() for f in (ours_features, ours_features_one_by_one, ours_features_raw, ours_features_tensor))
    medians, rounds = interleaved({"captum1": captum[1], "captum8": captum[8], "ours": ours_features, "single": ours_features_one_by_one,
                                   "raw": ours_features_raw, "tensor": ours_features_tensor})
    fastest = min(("captum1", "captum8"), key=medians.get)
    for k in (1, 8):
        print(f"feature  Captum FeatureAblation perturbations_per_eval={k:<2} {medians[f'captum{k}'] * 1e3:8.1f} ms")
    for name, what in (("ours", "ours, the study's path (8 variants per call) "),
                       ("single", "ours, one predict call per variant          "),
                       ("raw", "ours, raw rows -> whole pipeline per variant "),
                       ("tensor", "one pass per feature on the prepared tensor  ")):
        print(f"feature  {what}   {medians[name] * 1e3:8.1f} ms   ratio {ratio(rounds, name, fastest):.2f}")
    print(f"feature  max |diff| to Captum {diff:.1e}; "
          f"ratios: median over {REPEATS} interleaved rounds of ours / Captum's fastest ({fastest})")

    layers = [name for name, _ in network.named_children() if name in ("conv1", "conv2", "fc1", "fc2")]

    def ours_layers() -> list[torch.Tensor]:
        with torch.inference_mode():
            original = forward(X)
            results = []
            for name in layers:
                with knockout(network, [name], "zero"):
                    results.append((original - forward(X))[torch.arange(len(rows)), target])
        return results

    def captum_layers() -> list[torch.Tensor]:
        results = []
        for name in layers:
            layer = getattr(network, name)
            with torch.no_grad():
                shape = network[: list(dict(network.named_children())).index(name) + 1](X[:1]).shape[1:]
            mask = torch.zeros((1, *shape), dtype=torch.long)
            attr = LayerFeatureAblation(forward, layer).attribute(X, layer_baselines=0.0, target=target, layer_mask=mask)
            results.append(attr.reshape(len(rows), -1)[:, 0].detach())
        return results

    layer_diff = max(float((a - b).abs().max()) for a, b in zip(ours_layers(), captum_layers(), strict=True))
    medians, rounds = interleaved({"captum": captum_layers, "ours": ours_layers})
    print(f"layer    Captum LayerFeatureAblation (one group per layer) {medians['captum'] * 1e3:8.1f} ms")
    print(f"layer    ours, zero knock-out hooks                     {medians['ours'] * 1e3:8.1f} ms   "
          f"ratio {ratio(rounds, 'ours', 'captum'):.2f}   max |diff| {layer_diff:.1e}")


if __name__ == "__main__":
    main()
