"""Does the estimator's training cost more than a hand-written torch loop? Both fit the same network
with the same optimizer, batch size, epochs and seeded shuffling on the same data, side by side
(interleaved repetitions; the ratio is the median of the per-pair ratios, robust to load drift on a
shared machine; CPU time is shown too), and must end with the same weights. Target: ours/hand <= 1.15.

    .venv/bin/python benchmarks/bench_torch_training.py [--repeats 7] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification
from torch import nn

from ablation_pipeline.torch_nets.estimator import TorchClassifier

SEED, LR, BATCH = 0, 1e-3, 64


def mlp_case() -> tuple[str, np.ndarray, np.ndarray, dict, callable, int]:
    X, y = make_classification(n_samples=4000, n_features=20, n_informative=10, n_classes=3, random_state=0)
    spec = {"layers": [{"name": "h1", "type": "Linear", "args": {"out_features": 64}}, {"name": "r1", "type": "ReLU"},
                       {"name": "h2", "type": "Linear", "args": {"out_features": 64}}, {"name": "r2", "type": "ReLU"},
                       {"name": "out", "type": "Linear", "output": True}]}

    def hand_model() -> nn.Module:
        return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))

    return "MLP 20-64-64-3, 4000x20 tabular", X.astype(np.float32), y, spec, hand_model, 10


def cnn_case() -> tuple[str, np.ndarray, np.ndarray, dict, callable, int]:
    digits = load_digits()
    spec = {"input_shape": [1, 8, 8], "layers": [
        {"name": "conv1", "type": "Conv2d", "args": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
        {"name": "relu1", "type": "ReLU"},
        {"name": "pool1", "type": "MaxPool2d", "args": {"kernel_size": 2}},
        {"name": "conv2", "type": "Conv2d", "args": {"out_channels": 32, "kernel_size": 3, "padding": 1}},
        {"name": "relu2", "type": "ReLU"},
        {"name": "pool2", "type": "MaxPool2d", "args": {"kernel_size": 2}},
        {"name": "flatten", "type": "Flatten"},
        {"name": "out", "type": "Linear", "output": True}]}

    def hand_model() -> nn.Module:
        return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 2 * 2, 10))

    return "CNN digits 1797x(1x8x8)", (digits.data / 16.0).astype(np.float32), digits.target, spec, hand_model, 5


def fit_hand(X: np.ndarray, y: np.ndarray, make_model, epochs: int) -> nn.Module:
    """The minimal loop a user would write: seed, tensors once, randperm per epoch, index per batch."""
    torch.manual_seed(SEED)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    generator = torch.Generator().manual_seed(SEED)
    n = len(X_t)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, BATCH):
            idx = order[start : start + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_t[idx]), y_t[idx])
            loss.backward()
            optimizer.step()
    return model.eval()


def fit_ours(X: np.ndarray, y: np.ndarray, spec: dict, epochs: int, threads: int) -> TorchClassifier:
    training = {"optimizer": "adam", "lr": LR, "batch_size": BATCH, "epochs": epochs, "seed": SEED, "threads": threads}
    return TorchClassifier({**spec, "training": training}).fit(X, y)


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, process CPU seconds, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run_case(case, repeats: int, threads: int) -> float:
    name, X, y, spec, make_model, epochs = case
    ours_wall, hand_wall, ours_cpu, hand_cpu, ratios = [], [], [], [], []
    fit_hand(X, y, make_model, 1), fit_ours(X, y, spec, 1, threads)  # warm-up (lazy torch initialisation)
    for i in range(repeats):
        first_ours = i % 2 == 0  # alternate the order so neither side always runs on a warmer cache
        for side in ("ours", "hand") if first_ours else ("hand", "ours"):
            if side == "ours":
                wall, cpu, ours = timed(lambda: fit_ours(X, y, spec, epochs, threads))
                ours_wall.append(wall), ours_cpu.append(cpu)
            else:
                torch.set_num_threads(threads)
                wall, cpu, hand = timed(lambda: fit_hand(X, y, make_model, epochs))
                hand_wall.append(wall), hand_cpu.append(cpu)
        ratios.append(ours_wall[-1] / hand_wall[-1])
    with torch.no_grad():
        diff = (ours.model_(torch.from_numpy(X)) - hand(torch.from_numpy(X))).abs().max().item()
    median = statistics.median
    ratio = median(ratios)
    print(f"{name:32s} epochs={epochs:2d}  wall ours {median(ours_wall) * 1000:7.1f} ms  hand {median(hand_wall) * 1000:7.1f} ms  "
          f"ratio {ratio:5.3f} | cpu ours {median(ours_cpu) * 1000:7.1f} ms  hand {median(hand_cpu) * 1000:7.1f} ms  "
          f"ratio {median(ours_cpu) / median(hand_cpu):5.3f} | max|output diff| {diff:.1e}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {BATCH}, Adam lr {LR}, CPU, "
          f"median over {args.repeats} interleaved pairs")
    ratios = [run_case(case(), args.repeats, args.threads) for case in (mlp_case, cnn_case)]
    verdict = "OK" if max(ratios) <= 1.15 else "ABOVE TARGET"
    print(f"worst ratio ours/hand = {max(ratios):.3f} (target <= 1.15): {verdict}")


if __name__ == "__main__":
    main()
