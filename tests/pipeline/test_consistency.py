"""Each step checks that the split plan handed to it is the one its own spec makes of its own data
(the expected plan's digest is remembered per data and design, so that check is paid once)."""

from __future__ import annotations

import pytest

from ablation_pipeline.errors import ChangedDuringRunError
from ablation_pipeline.pipeline.consistency import require_splits
from ablation_pipeline.pipeline.setup import check_study
from ablation_pipeline.pipeline.steps import study_splits

from builders import linear_frame, small_spec, write_study


def test_a_plan_from_another_design_or_other_data_is_refused(tmp_path):
    spec = small_spec()
    setup = check_study(write_study(tmp_path / "a", spec, linear_frame()))
    plan = study_splits(setup)
    require_splits(setup, plan)
    require_splits(setup, list(plan))  # remembered: the same answer for the same plan
    other_folds = check_study(write_study(tmp_path / "b", {**spec, "evaluation": {**spec["evaluation"], "folds": 2}}, linear_frame()))
    with pytest.raises(ChangedDuringRunError, match="the split plan was computed from another version"):
        require_splits(other_folds, plan)
    other_rows = check_study(write_study(tmp_path / "c", spec, linear_frame(rows=130)))
    with pytest.raises(ChangedDuringRunError, match="the split plan"):
        require_splits(other_rows, plan)
    require_splits(other_rows, study_splits(other_rows))
