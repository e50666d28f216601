"""The generator and the discriminator (torch), and the generator's weights as plain arrays.

Input: the matrix width, the conditional vector's width, layer sizes. Output: ``Generator`` (CTGAN's
residual blocks: ``[relu(bn(fc(x))), x]`` concatenated, so later layers see the noise and the condition
directly) and ``Discriminator`` (linear layers, LeakyReLU, dropout; no batch norm, which mixes the rows
of a batch and so has no per-sample gradient). The discriminator takes ``(batch, k, features)``: ``k`` is
2 in a DP step (a real row and a fake row side by side, one per-sample gradient for the pair) and 1 in
the generator's step; PacGAN packing folds ``pac`` rows into the feature axis, without DP only.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class Residual(nn.Module):
    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    def __init__(self, noise: int, cond: int, hidden: tuple[int, ...], width: int):
        super().__init__()
        dim = noise + cond
        blocks = []
        for h in hidden:
            blocks.append(Residual(dim, h))
            dim += h
        self.blocks = nn.ModuleList(blocks)
        self.out = nn.Linear(dim, width)

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = torch.cat([z, cond], dim=1) if cond.shape[1] else z
        for b in self.blocks:
            x = b(x)
        return self.out(x)

    def export(self) -> dict[str, np.ndarray]:
        """The weights as float32 arrays, batch norm folded to its running statistics (eval)."""
        out = {}
        for i, b in enumerate(self.blocks):
            out[f"g{i}.w"] = b.fc.weight.detach().cpu().numpy().astype(np.float32)
            out[f"g{i}.b"] = b.fc.bias.detach().cpu().numpy().astype(np.float32)
            out[f"g{i}.bn_mean"] = b.bn.running_mean.detach().cpu().numpy().astype(np.float32)
            out[f"g{i}.bn_var"] = b.bn.running_var.detach().cpu().numpy().astype(np.float32)
            out[f"g{i}.bn_w"] = b.bn.weight.detach().cpu().numpy().astype(np.float32)
            out[f"g{i}.bn_b"] = b.bn.bias.detach().cpu().numpy().astype(np.float32)
        out["out.w"] = self.out.weight.detach().cpu().numpy().astype(np.float32)
        out["out.b"] = self.out.bias.detach().cpu().numpy().astype(np.float32)
        return out


class Discriminator(nn.Module):
    def __init__(self, features: int, hidden: tuple[int, ...], dropout: float = 0.5):
        super().__init__()
        layers: list[nn.Module] = []
        dim = features
        for h in hidden:
            layers += [nn.Linear(dim, h), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            dim = h
        layers.append(nn.Linear(dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
