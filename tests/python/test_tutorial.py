"""tools/python/README.md cannot rot: every ```python block runs, in order, in one namespace."""

import os
import re
from pathlib import Path

import conftest

README = Path(__file__).resolve().parents[2] / "tools" / "python" / "README.md"


def python_blocks():
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), re.M | re.S)


def test_the_tutorial_has_its_sections():
    blocks = python_blocks()
    assert len(blocks) >= 8
    text = "\n".join(blocks)
    for needed in ["tg.silu", "tg.relu", "tg.swiglu", "tg.tape()", "tg.to_dot", "opt.step()",
                   "tg.sst2.train"]:
        assert needed in text


def test_every_code_block_runs(monkeypatch, capsys):
    for data_dir, root in conftest._candidates():  # the data for the last block, if present
        if (data_dir / "train.tsv").exists():
            monkeypatch.setenv("AG_DATA_DIR", str(root))
            break
    namespace = {"__name__": "tutorial"}
    for i, block in enumerate(python_blocks()):
        try:
            exec(compile(block, f"{README.name} block {i + 1}", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"block {i + 1} of {README} failed:\n{block}") from e
    out = capsys.readouterr().out
    assert "relu'" in out and "accuracy" in out
    if "AG_DATA_DIR" in os.environ:
        assert "finished dev acc" in out
