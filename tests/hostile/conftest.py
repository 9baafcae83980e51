"""Fixtures of the hostile suite: a private temporary folder that must stay empty."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.helpers import files_in


@pytest.fixture(autouse=True)
def no_leftovers(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ``tempfile`` at a fresh folder during the test; assert it is empty afterwards."""
    folder = tmp_path_factory.mktemp("engine-tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert files_in(folder) == [], "the engine left temporary files behind"
