"""Sampling a fitted GAN with numpy alone: the generator's forward pass from its safetensors weights.

Input: the artifact's metadata (the columns' released encoders, the conditional columns and their noisy
state frequencies, the layer sizes) and its arrays (the generator's weights, the numeric columns'
histograms). Output: a ``Sampler`` whose rows depend only on the artifact and the step's random stream:
the forward pass runs in float64 numpy (no torch at generation time, no thread-count-dependent kernels),
categories and bins are drawn by Gumbel-max from the generator's logits, and a conditioned column takes
the requested value exactly (CTGAN feeds the condition and hopes; we also write it), so every requested
value is produced, rare ones included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.models.bayesnet import prepare
from synthdsl.models.dpcgan.transform import Layout
from synthdsl.values import Values

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec

_BN_EPS = 1e-5  # torch.nn.BatchNorm1d's default


class GanSampler:
    def __init__(self, spec: ModelSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]):
        self.spec = spec
        self.layout = Layout(prepare.encoders_from_meta(meta, arrays))
        self.noise = int(meta["noise"])
        self.hidden = [int(h) for h in meta["hidden"]]
        self.cond_columns = [str(c) for c in meta["cond"]["columns"]]
        self.cond_probs = [np.asarray(p, dtype=np.float64) for p in meta["cond"]["probs"]]
        k = len(self.cond_columns)
        self.cond_weights = np.asarray(meta["cond"].get("weights", [1.0 / max(k, 1)] * k))
        if self.cond_weights.shape != (k,) or (k and not np.isclose(self.cond_weights.sum(), 1)):
            raise ValueError("the conditional columns' weights are not probabilities")
        self.cond_start = []
        at = 0
        for c in self.cond_columns:
            self.cond_start.append(at)
            at += self.layout.state_span[c].size
        self.cond_width = at
        self.blocks = []
        dim = self.noise + self.cond_width
        for i, h in enumerate(self.hidden):
            w = arrays[f"g{i}.w"].astype(np.float64)
            if w.shape != (h, dim):
                raise ValueError(f"generator layer {i} has shape {w.shape}, not {(h, dim)}")
            scale = arrays[f"g{i}.bn_w"].astype(np.float64) / np.sqrt(
                arrays[f"g{i}.bn_var"].astype(np.float64) + _BN_EPS
            )
            shift = arrays[f"g{i}.bn_b"].astype(np.float64) - arrays[f"g{i}.bn_mean"] * scale
            # batch norm at eval is affine: fold it into the layer
            self.blocks.append(
                (w.T * scale[None, :], arrays[f"g{i}.b"].astype(np.float64) * scale + shift)
            )
            dim += h
        self.out_w = arrays["out.w"].astype(np.float64).T
        self.out_b = arrays["out.b"].astype(np.float64)
        if self.out_w.shape != (dim, self.layout.width):
            raise ValueError(f"the output layer has shape {self.out_w.shape[::-1]}")
        for p, c in zip(self.cond_probs, self.cond_columns, strict=True):
            if p.shape != (self.layout.state_span[c].size,) or not np.isclose(p.sum(), 1.0):
                raise ValueError(f"the condition frequencies of '{c}' are not probabilities")
        params = [x for b in self.blocks for x in b] + [self.out_w, self.out_b]
        if not all(np.all(np.isfinite(x)) for x in params):
            raise ValueError("the generator's weights are not finite")

    def _forward(self, z: np.ndarray, cond: np.ndarray) -> np.ndarray:
        x = np.concatenate([z, cond], axis=1)
        for w, b in self.blocks:
            x = np.concatenate([np.maximum(x @ w + b, 0.0), x], axis=1)
        return x @ self.out_w + self.out_b

    def sample(
        self, n: int, given: dict[str, Values], rng: np.random.Generator
    ) -> dict[str, Values]:
        codes_of, matrix = self._draw(n, given, rng)
        values = self.layout.decode(matrix, codes_of, rng)
        return {c.name: values[c.name] for c in self.spec.columns if c.name not in given}

    def sample_states(
        self, n: int, given: dict[str, Values], rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Every column's drawn state (a conditioned column's included): what tests inspect."""
        return self._draw(n, given, rng)[0]

    def _draw(
        self, n: int, given: dict[str, Values], rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        cond = np.zeros((n, self.cond_width))
        forced: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # column -> (rows, codes)
        if self.cond_columns:
            if given:
                for name, values in given.items():
                    k = self.cond_columns.index(name)
                    codes = self.layout.encoders[name].encode(values)
                    cond[np.arange(n), self.cond_start[k] + codes] = 1.0
                    forced[name] = (np.arange(n), codes)
            else:  # as in training: one conditional column per row, its value by frequency
                k_last = len(self.cond_columns) - 1
                cum = np.cumsum(self.cond_weights)
                which = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), k_last)
                u = rng.random(n)
                for k, name in enumerate(self.cond_columns):
                    rows = np.flatnonzero(which == k)
                    cum = np.cumsum(self.cond_probs[k])
                    codes = np.minimum(np.searchsorted(cum, u[rows], side="right"), len(cum) - 1)
                    cond[rows, self.cond_start[k] + codes] = 1.0
                    forced[name] = (rows, codes)
        z = rng.standard_normal((n, self.noise))
        raw = self._forward(z, cond)
        codes_of: dict[str, np.ndarray] = {}
        for name, span in self.layout.state_span.items():
            logits = raw[:, span.start : span.start + span.size]
            gumbel = -np.log(-np.log(rng.random(logits.shape) * (1 - 2e-12) + 1e-12))
            codes_of[name] = np.argmax(logits + gumbel, axis=1)
        for name, (rows, codes) in forced.items():
            codes_of[name][rows] = codes
        matrix = raw.copy()
        for span in self.layout.scalar_span.values():
            matrix[:, span.start] = np.tanh(raw[:, span.start])
        return codes_of, matrix
