"""Data for the torch tests: digits images and a separable classification problem."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_digits, make_classification


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.data[:600] / 16.0, data.target[:600]


@pytest.fixture(scope="module")
def separable():
    return make_classification(n_samples=200, n_features=6, n_informative=4, class_sep=2.0, random_state=0)
