"""Shared fixtures: where the SST-2 data is (tests that need it skip, saying why, without it)."""

import os
from pathlib import Path

import pytest


def _candidates():
    env = os.environ.get("AG_DATA_DIR")
    if env:
        env = Path(env)
        yield (env, env.parent) if (env / "train.tsv").exists() else (env / "SST-2", env)
    shared = os.environ.get("AG_SHARED_DIR")
    if shared:
        yield Path(shared) / "data" / "SST-2", Path(shared) / "data"
    root = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    yield root / "SST-2", root


@pytest.fixture(scope="session")
def sst2_paths():
    """{"data_dir": ..., "vocab": ...} for the runner's config, or a skip."""
    for data_dir, root in _candidates():
        vocab = root / "bert-base-uncased" / "vocab.txt"
        if (data_dir / "train.tsv").exists() and (data_dir / "dev.tsv").exists() and vocab.exists():
            return {"data_dir": str(data_dir), "vocab": str(vocab)}
    pytest.skip("SST-2 data not found (set AG_DATA_DIR to the SST-2 directory or the data root)")
