"""A knock-out study of a pretrained 1-million-parameter network on 10,000 held-out rows, against the
hand-written batched hook loop a user would write instead (issue 24), side by side on this machine, at
three scopes:

  knock-outs  the 8 knock-outs' predictions alone, in this process, warm: ours through the study's own
              path (`predicted`: the pipeline's input handling, the knock-out context, batched inference)
              against the loop below on the same loaded model and rows
  in-process  `run_study` of the held-out study (cache off: load, plan, checkpoint, knock-outs, scores,
              paired statistics, report with figures) against the plain script's work in this process
              (torch.load, np.load, the loop, the CSV)
  cold        `ablation run` in a fresh process (Dagster's local SQLite instance, one step per variant)
              against the plain script in a fresh process

The plain loop: for each knock-out register a forward hook, predict the held-out rows in batches of 2,048
under inference_mode, compute accuracy and log-loss (no statistics, no report). One torch thread on both
sides (the study's default, `training.threads: 1`). Rounds interleaved; medians and the median per-round
ratio ours/plain. Run: .venv/bin/python benchmarks/bench_pretrained.py [--rounds 3] [--rows 10000]
"""

from __future__ import annotations

import argparse
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
ROWS, TRAIN_ROWS, WIDTH, CLASSES = 10_000, 1_000, 256, 10

NETS = '''
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width, inner):
        super().__init__()
        self.fc1 = nn.Linear(width, inner)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(inner, width)

    def forward(self, x):
        return torch.relu(x + self.fc2(self.act(self.fc1(x))))


class WideResMLP(nn.Module):
    """256 -> 512 stem, two residual blocks of 512 -> 448 -> 512, 10 logits: about 1.07 million parameters."""

    def __init__(self, width=512, inner=448, n_in=256, n_out=10):
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        self.block1 = Block(width, inner)
        self.block2 = Block(width, inner)
        self.head = nn.Linear(width, n_out)

    def forward(self, x):
        return self.head(self.block2(self.block1(torch.relu(self.stem(x)))))
'''

PLAIN = '''
import sys, time
import numpy as np, torch
sys.path.insert(0, {folder!r})
from wide_nets import WideResMLP

torch.set_num_threads(1)
model = WideResMLP()
model.load_state_dict(torch.load({checkpoint!r}, weights_only=True))
model.eval()
held = np.load({held!r})
X, y = torch.from_numpy(held["x"]), torch.from_numpy(held["y"])

def predict():
    with torch.inference_mode():
        return torch.cat([model(X[i:i + 2048]) for i in range(0, len(X), 2048)])

def zero(_m, _a, out):
    return torch.zeros_like(out)

def units(start, stop):
    def hook(_m, _a, out):
        out = out.clone()
        out[..., start:stop] = 0
        return out
    return hook

variants = [("baseline", None, None)] + [(name, name, zero) for name in ("stem", "block1", "block2", "head")] + \\
    [(f"block1.fc1[{{s}}:{{s + 112}}]", "block1.fc1", units(s, s + 112)) for s in range(0, 448, 112)]
def loop():
    lines = ["variant,accuracy,log_loss"]
    for name, layer, hook in variants:
        handle = model.get_submodule(layer).register_forward_hook(hook) if layer else None
        try:
            logits = predict()
        finally:
            if handle is not None:
                handle.remove()
        accuracy = float((logits.argmax(1) == y).double().mean())
        log_loss = float(torch.nn.functional.cross_entropy(logits.double(), y))
        lines.append(f"{{name}},{{accuracy}},{{log_loss}}")
    return lines


if __name__ == "__main__":
    open({out!r}, "w").write("\\n".join(loop()) + "\\n")
'''


def make_project(folder: Path, held_out: int = ROWS) -> Path:
    """A user's project: its module (trusted in its pyproject.toml), a checkpoint, the arrays and the study."""
    (folder / "pyproject.toml").write_text('[tool.ablation_pipeline]\ntrusted_modules = ["wide_nets"]\n')
    (folder / "wide_nets.py").write_text(NETS)
    sys.path.insert(0, str(folder))
    from wide_nets import WideResMLP

    torch.manual_seed(0)
    model = WideResMLP().eval()
    print(f"network: {sum(p.numel() for p in model.parameters()):,} parameters")
    torch.save(model.state_dict(), folder / "net.pt")
    rng = np.random.default_rng(0)
    for name, rows in (("held_out", held_out), ("train", TRAIN_ROWS)):
        x = rng.normal(size=(rows, WIDTH)).astype(np.float32)
        with torch.no_grad():
            logits = model(torch.from_numpy(x)).numpy()
        y = np.where(rng.random(rows) < 0.8, logits.argmax(1), rng.integers(0, CLASSES, rows))  # the network is 80% right
        np.savez(folder / f"{name}.npz", x=x, y=y)
    spec = {"name": "pretrained_wide", "data": {"source": "train.npz", "x": "x", "y": "y"},
            "model": {"network": {"module": "wide_nets:WideResMLP", "checkpoint": "net.pt"}},
            "evaluation": {"holdout": {"source": "held_out.npz"}, "metrics": ["accuracy", "log_loss"]},
            "ablations": [{"layers": "each", "mode": "zero"},
                          {"layers": ["block1.fc1"], "units": {"dim": -1, "size": 112}, "mode": "zero"}]}
    path = folder / "pretrained_wide.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    (folder / "plain.py").write_text(textwrap.dedent(PLAIN.format(
        folder=str(folder), checkpoint=str(folder / "net.pt"), held=str(folder / "held_out.npz"),
        train=str(folder / "train.npz"), out=str(folder / "plain.csv"))))
    return path


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def median_ratio(ours: list[float], plain: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(ours, plain, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=ROWS, help="held-out rows (the issue's target: 10,000)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ablation = str(Path(sys.executable).with_name("ablation"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = make_project(folder, args.rows)
        os.environ["ABLATION_HOME"] = str(folder / "home")
        from ablation_pipeline.pipeline.run import run_study
        from ablation_pipeline.pipeline.setup import plan_study, set_up
        from ablation_pipeline.pipeline.steps import ablated, baseline, study_splits
        from ablation_pipeline.spec.loading import load_spec

        plain = runpy.run_path(str(folder / "plain.py"))  # loads the model and rows once, for the warm loop
        setup = set_up(plan_study(load_spec(spec)))
        splits = study_splits(setup)

        def our_knockouts() -> None:
            base = baseline(setup, splits)
            for variant in setup.plan.variants:
                ablated(setup, variant, splits, base)

        scopes: dict[str, dict[str, list[float]]] = {name: {"ours": [], "plain": []} for name in ("knock-outs", "in-process", "cold")}
        for r in range(args.rounds):
            scopes["knock-outs"]["ours"].append(timed(our_knockouts))
            scopes["knock-outs"]["plain"].append(timed(plain["loop"]))
            scopes["in-process"]["ours"].append(timed(lambda r=r: run_study(str(spec), folder / f"warm{r}", cache=False)))
            scopes["in-process"]["plain"].append(timed(lambda: runpy.run_path(str(folder / "plain.py"), run_name="__main__")))
            env = {**os.environ, "ABLATION_HOME": str(folder / f"home{r}")}  # a cold run: nothing cached
            command = [ablation, "run", str(spec), "--results-dir", str(folder / f"results{r}")]
            scopes["cold"]["ours"].append(timed(lambda command=command, env=env: subprocess.run(command, check=True, env=env,
                                                                                                 capture_output=True)))
            scopes["cold"]["plain"].append(timed(lambda: subprocess.run([sys.executable, str(folder / "plain.py")], check=True,
                                                                        capture_output=True)))
        rows = (folder / "results0" / "pretrained_wide" / "comparison.csv").read_text().count("\n") - 1
        print(f"ours: {len(setup.plan.variants)} variants, {rows} comparison rows; plain: "
              f"{(folder / 'plain.csv').read_text().count(chr(10)) - 1} predictions incl. the baseline's")
    for name, times in scopes.items():
        print(f"{name:11s} ours {statistics.median(times['ours']):6.2f} s  plain {statistics.median(times['plain']):6.2f} s  "
              f"ours/plain {median_ratio(times['ours'], times['plain']):.2f}")
    print(f"rounds: {args.rounds}; load average {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
