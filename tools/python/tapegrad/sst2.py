"""The SST-2 runner: train(config) runs one (ffn, seed) and returns its metrics dict; the data
and orderings it uses are here too, for training loops written in Python.

Config keys are the runner's (experiments/README.md, experiments/METRICS.md), e.g.
    {"ffn": "swiglu", "seeds": [0], "epochs": 1, "limit": 512, "data_dir": "...",
     "vocab": ".../vocab.txt", "out": "runs", "quiet": True}
"""

import json as _json

from ._tapegrad.sst2 import _train, _load_data, _resolve, epoch_permutation, dropout_seed  # noqa


def _text(config):
    if not isinstance(config, dict):
        raise TypeError("sst2: config must be a dict of the runner's keys")
    return _json.dumps(config)


def train(config):
    """One run of the runner: writes its metrics JSON (and checkpoint) under config["out"]
    (default "runs") and returns the same metrics as a dict. RuntimeError when it diverges."""
    return _json.loads(_train(_text(config)))


def resolve(config):
    """Every setting of `config` after defaults and presets, as the metrics file records it."""
    return _json.loads(_resolve(_text(config)))


def load_data(config):
    """The tokenised train and dev sets the runner would use for `config`: a dict with
    "train" and "dev" (each {"ids": int32 [N, T], "mask": float32 [N, T], "labels": int32 [N]}),
    "vocab_size", "data_dir" and "vocab"."""
    return _load_data(_text(config))


__all__ = ["train", "resolve", "load_data", "epoch_permutation", "dropout_seed"]
