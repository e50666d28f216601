"""Differential-privacy noise from the operating system's secure random source, never from the seed.

Input: an epsilon (and a sensitivity) per mechanism. Output: noisy counts, noisy choices. The spec's seed
is public (it is in the spec and the card), so noise drawn from it could be recomputed and subtracted by
anyone: every draw here reads ``os.urandom`` (the kernel's CSPRNG) and is not reproducible on purpose.
Determinism starts at the artifact: sampling from a fitted model uses the spec's seed.

Counts get the two-sided geometric mechanism (the discrete Laplace: integer noise, so the output carries
no floating-point artefacts of the kind Mironov showed for textbook Laplace sampling); choices get the
exponential mechanism through the Gumbel-max trick, which is equivalent and vectorized.
"""

from __future__ import annotations

import math
import os

import numpy as np


class SecureNoise:
    """A noise source for one fit. ``draws`` counts the uniforms used (tests check noise is present)."""

    def __init__(self) -> None:
        self.draws = 0

    def uniform(self, n: int) -> np.ndarray:
        """``n`` uniforms in the open interval (0, 1) from 53 bits of ``os.urandom`` each."""
        self.draws += n
        raw = np.frombuffer(os.urandom(8 * max(n, 0)), dtype=np.uint64) >> np.uint64(11)
        return (raw.astype(np.float64) + 0.5) / float(2**53)

    def geometric(
        self, epsilon: float, sensitivity: float, size: int | tuple[int, ...]
    ) -> np.ndarray:
        """Two-sided geometric noise for integer counts: P(k) ∝ exp(-epsilon |k| / sensitivity),
        as the difference of two geometric variables (integers, as float64)."""
        shape = (size,) if isinstance(size, int) else tuple(size)
        n = int(np.prod(shape)) if shape else 1
        alpha = math.exp(-epsilon / sensitivity)
        if alpha <= 0.0:  # an epsilon so large the noise underflows: none at all
            return np.zeros(shape)
        log_alpha = math.log(alpha)
        u = self.uniform(2 * n)
        g = np.floor(np.log(u) / log_alpha)  # geometric on {0, 1, ...} with P(k) = (1-a) a^k
        return (g[:n] - g[n:]).reshape(shape)

    def laplace(self, scale: float, size: int | tuple[int, ...]) -> np.ndarray:
        """Continuous Laplace noise (for real-valued statistics that are not counts)."""
        shape = (size,) if isinstance(size, int) else tuple(size)
        n = int(np.prod(shape)) if shape else 1
        u = self.uniform(n) - 0.5
        return (-scale * np.sign(u) * np.log1p(-2.0 * np.abs(u))).reshape(shape)

    def gaussian(self, std: float, size: int) -> np.ndarray:
        """Gaussian noise with standard deviation ``std`` (DP-SGD's): Box-Muller from secure
        uniforms, and, as Opacus' ``secure_mode`` does against floating-point attacks on a single
        Gaussian sample (Holohan et al., arXiv:2107.10138), the sum of four draws halved."""
        m = 2 * size  # pairs of uniforms: two normals each, four normals per value
        u = self.uniform(2 * m).reshape(2, m)
        r = np.sqrt(-2.0 * np.log(u[0]))
        z = np.concatenate([r * np.cos(2.0 * math.pi * u[1]), r * np.sin(2.0 * math.pi * u[1])])
        return std * z[: 4 * size].reshape(4, size).sum(axis=0) / 2.0

    def choose(self, scores: np.ndarray, epsilon: float, sensitivity: float) -> int:
        """The exponential mechanism: index i with probability ∝ exp(epsilon * score_i / (2 * Δ)),
        by Gumbel-max (argmax of scaled scores plus Gumbel noise)."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.size == 1:
            return 0
        gumbel = -np.log(-np.log(self.uniform(scores.size)))
        return int(np.argmax(epsilon * scores / (2.0 * sensitivity) + gumbel))
