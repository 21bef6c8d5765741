"""The Chinese edition's chapters pass the same test as the English ones in ``test_exercise_cells.py``: after Run
All, each answer cell re-run with its reference answer, last one first, says ✅ 正确 (the edition's words), and
``progress`` counts it under its own id. A file of its own so that xdist (``--dist loadfile``) runs it on another
worker than the English edition's chapters."""

from __future__ import annotations

import pytest

from tests.test_exercise_cells import CHINESE_CHAPTERS, run_all_then_each_answer_cell_in_reverse


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", CHINESE_CHAPTERS, ids=[f"zh/{path.stem}" for path in CHINESE_CHAPTERS])
def test_after_run_all_each_answer_cell_reruns_correct_in_reverse_order_in_chinese(path, tmp_path):
    run_all_then_each_answer_cell_in_reverse(path, tmp_path)
