"""Numbers as the report and the command line print them."""

from __future__ import annotations

import math

import pytest

from ablation_pipeline.report.formatting import fmt_num, fmt_p


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (3.14159, False, "3.142"), (0.0123456, True, "+0.01235"), (-0.2, True, "-0.2"), (0.0, True, "0"),
        (12345.6, False, "12350"), (1.5e-7, False, "1.5e-07"), (2.5e7, False, "2.5e+07"),
        (9.99996, False, "10"), (math.inf, False, "∞"), (math.inf, True, "+∞"), (-math.inf, True, "-∞"),
    ],
)
def test_fmt_num(value, signed, text):
    assert fmt_num(value, signed=signed) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.00001, "<1e-4"), (0.0012, "0.0012"), (0.00012, "0.00012"), (0.78, "0.78"), (1.0, "1"), (0.04962, "0.0496")],
)
def test_fmt_p(p, text):
    # 0.04962 would round to "0.05" at 2 digits, which reads as not significant at α = 0.05
    assert fmt_p(p, alpha=0.05) == text
