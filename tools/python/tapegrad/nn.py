"""Modules of nn/: Linear, Embedding, LayerNorm, MultiHeadAttention, FeedForward, EncoderLayer,
Classifier. Constructors take `seed=` (or `generator=`) for the initial weights; `forward` (or
calling the module) takes an optional `generator=` for dropout masks."""

from ._tapegrad.nn import (  # noqa: F401
    Module, Linear, Embedding, LayerNorm, MultiHeadAttention, FeedForward, EncoderLayer,
    Classifier, matched_gated_hidden,
)

__all__ = ["Module", "Linear", "Embedding", "LayerNorm", "MultiHeadAttention", "FeedForward",
           "EncoderLayer", "Classifier", "matched_gated_hidden"]
