"""Make the pretrained example: scikit-learn's 8x8 digits split once (seeded) into 1,297 training and 500
held-out images (data/digits_train.npz, data/digits_test.npz: arrays `images`, N x 1 x 8 x 8 scaled to
[0, 1], and `labels`), and data/digits_resnet.pt, the state_dict of data/digits_nets.DigitsResNet trained
on the training images only. The held-out images were never seen by the checkpoint: the digits_resnet
study evaluates its knock-outs on them. Run: python data/make_digits_resnet.py [OUT_FOLDER]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from data.digits_nets import DigitsResNet  # noqa: E402  (the example's own module, beside this script)

SEED = 20261207
HELD_OUT = 500
EPOCHS, BATCH, LR = 40, 64, 0.003


def split_digits(seed: int = SEED) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    order = np.random.default_rng(seed).permutation(len(images))
    test, train = order[:HELD_OUT], order[HELD_OUT:]
    return (images[train], digits.target[train]), (images[test], digits.target[test])


def train(images: np.ndarray, labels: np.ndarray, seed: int = SEED) -> DigitsResNet:
    """A plain, seeded, deterministic training loop: what a user would write."""
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    model = DigitsResNet(channels=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    X, y = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))
    generator = torch.Generator().manual_seed(seed)
    for _ in range(EPOCHS):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), BATCH):
            rows = order[start:start + BATCH]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[rows]), y[rows]).backward()
            optimizer.step()
    return model.eval()


def main(folder: Path) -> None:
    (train_x, train_y), (test_x, test_y) = split_digits()
    np.savez_compressed(folder / "digits_train.npz", images=train_x, labels=train_y)
    np.savez_compressed(folder / "digits_test.npz", images=test_x, labels=test_y)
    model = train(train_x, train_y)
    torch.save(model.state_dict(), folder / "digits_resnet.pt")
    with torch.no_grad():
        accuracy = (model(torch.from_numpy(test_x)).argmax(1).numpy() == test_y).mean()
    print(f"held-out accuracy {accuracy:.3f}, {sum(p.numel() for p in model.parameters()):,} parameters")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
