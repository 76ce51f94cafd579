"""The example's own torch networks, as a user would write them: a small residual convolutional network
for scikit-learn's 8x8 digits (`digits_resnet.pt` is its checkpoint, made by `make_digits_resnet.py`).
Its blocks add their input back (`x + body(x)`), so knocking out a layer inside a block leaves the skip
path: a plain chain of the same layers would say otherwise."""

from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """conv -> ReLU -> conv, added to the block's input, then ReLU."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.conv2(self.act(self.conv1(x))))


class DigitsResNet(nn.Module):
    """1x8x8 image -> stem conv -> two residual blocks -> global average pool -> 10 logits."""

    def __init__(self, channels: int = 16, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU())
        self.block1 = ResidualBlock(channels)
        self.block2 = ResidualBlock(channels)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block2(self.block1(self.stem(x)))
        return self.head(self.pool(x).flatten(1))
