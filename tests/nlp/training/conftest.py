"""Fixtures for the tune-part calibrations: a writable copy of the shipped lite model and the
first tune items of the annotation set (skipped where ../shared/data is absent)."""

from __future__ import annotations

import shutil

import pytest

from nlp.transformer import LITE_MODEL_DIR


@pytest.fixture
def lite_copy_and_tune(tmp_path):
    """``(model_dir, items)``: a copy of the lite model to write into, and ``n`` tune items."""
    from nlp.annotations.store import load_gold
    from nlp.training.evaluation import DEFAULT_DATA_DIR

    if not DEFAULT_DATA_DIR.is_dir():
        pytest.skip("needs ../shared/data")

    def make(n: int):
        model_dir = tmp_path / "model"
        shutil.copytree(LITE_MODEL_DIR, model_dir)
        return model_dir, load_gold(DEFAULT_DATA_DIR, split="tune")[:n]

    return make
