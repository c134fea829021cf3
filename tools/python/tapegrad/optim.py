"""Optimizers over Tensors or (name, Tensor) pairs, e.g. AdamW(model.named_parameters()).
Move a model with .to(device) before building its optimizer (moving makes new tensors)."""

from ._tapegrad.nn import AdamW, SGD, Optimizer  # noqa: F401

__all__ = ["AdamW", "SGD", "Optimizer"]
