"""Training the conditional GAN: DP-SGD on the discriminator through Opacus, or plain Adam without DP.

Input: the encoded training matrix (it lives in memory during the fit only), the layout, the conditional
columns with their released frequencies, the options, and under DP the training share of the budget.
Output: the generator's weights and what the card says about training.

Only the discriminator reads real rows, so only it is private; the generator learns from the
discriminator's outputs (post-processing). Under DP, per step:

- **Poisson sampling.** Each real row joins the batch with probability ``q = batch / n`` (``n`` the noisy
  row count), from secure uniforms: the accountant's sampling assumption holds literally. Conditional
  training-by-sampling (CTGAN picks a category, then a real row with it) would break it, so a real row's
  condition is its own category in a column chosen at random, and the fake rows' conditions are drawn
  from the released (noisy) frequencies.
- **One backward per step.** A real row and a fake row go through the discriminator side by side as one
  sample of shape ``(2, features)``: one loss, one per-sample gradient per pair clipped to ``clip``, one
  Gaussian noise draw, one step charged to the accountant. (Real and fake batches in separate optimizer
  steps would charge the budget twice.)
- **No gradient penalty.** WGAN-GP's penalty is a gradient of a gradient, which Opacus' hooks do not
  clip per sample; the loss is the non-saturating GAN loss (logistic), whose per-sample gradient
  clipping bounds each row's influence, and needs no Lipschitz constraint.
- **No packing.** PacGAN's packs would put several people's rows in one clipped sample, and a pack's
  make-up would change when one row is removed: ``pac`` is 1 under DP.
- **Calibrated to the target.** The noise multiplier is Opacus' ``get_noise_multiplier`` for the target
  (epsilon, delta) over the planned steps (``epochs / q``, RDP accountant), so the budget is reached
  exactly when the planned steps are done; the accountant is stepped after every update (an empty
  Poisson batch included: its update is noise alone), and the fit fails rather than write a model
  whose accounted epsilon passes the target. A time limit (``train minutes M``) stops earlier,
  having spent less.
- **Secure noise.** Opacus' ``secure_mode`` needs torchcsprng (unmaintained); the optimizer's Gaussian
  noise comes from ``os.urandom`` instead (``SecureNoise.gaussian``, with the same sum-of-four trick).
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from opacus.accountants import RDPAccountant
from opacus.accountants.utils import get_noise_multiplier
from opacus.grad_sample import GradSampleModuleFastGradientClipping
from opacus.optimizers import DPOptimizerFastGradientClipping
from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed
from opacus.utils.fast_gradient_clipping_utils import DPTensorFastGradientClipping
from torch.nn import functional as F

from synthdsl.models.dpcgan.nets import Discriminator, Generator
from synthdsl.models.dpcgan.transform import Layout

# RDP orders: Opacus' defaults reach 63; small sampling rates over few steps want larger ones
ALPHAS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)) + [80, 128, 256, 512, 1024]


@dataclass
class Settings:
    epochs: int
    batch: int
    clip: float
    noise: int
    generator: tuple[int, ...]
    discriminator: tuple[int, ...]
    lr: float
    pac: int
    minutes: float | None
    steps_per_g: int = 1


class SecureDPOptimizer(DPOptimizerFastGradientClipping):
    """Opacus' DP optimizer (for ghost clipping: the gradient it receives is already the sum of
    the clipped per-sample gradients) with its Gaussian noise drawn from the OS's secure source."""

    def __init__(self, *args, noise_source, **kwargs):
        super().__init__(*args, **kwargs)
        self.noise_source = noise_source

    def add_noise(self) -> None:
        std = self.noise_multiplier * self.max_grad_norm
        sizes = [p.summed_grad.numel() for p in self.params]
        flat = self.noise_source.gaussian(std, sum(sizes))
        at = 0
        for p, size in zip(self.params, sizes, strict=True):
            _check_processed_flag(p.summed_grad)
            noise = torch.from_numpy(flat[at : at + size]).to(p.summed_grad)
            p.grad = (p.summed_grad + noise.view_as(p.summed_grad)).view_as(p)
            _mark_as_processed(p.summed_grad)
            at += size


def private_discriminator(d: torch.nn.Module, clip: float) -> GradSampleModuleFastGradientClipping:
    """The discriminator wrapped by Opacus for per-sample clipping. Ghost clipping computes each
    sample's gradient norm from the layer's activations and output gradients without forming the
    per-sample gradients (14x faster here than materializing them), then a second backward pass
    with each sample's loss scaled by ``min(1, clip / norm)`` gives the sum of clipped gradients."""
    return GradSampleModuleFastGradientClipping(
        d, loss_reduction="sum", max_grad_norm=clip, use_ghost_clipping=True
    )


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Conditions:
    """The conditional vector: per row one conditional column is active, its slot one-hot."""

    def __init__(self, layout: Layout, columns: list[str], probs: list[np.ndarray], dev):
        self.columns = columns
        self.spans = [layout.state_span[c] for c in columns]
        self.starts = np.cumsum([0] + [s.size for s in self.spans])[:-1].tolist()
        self.width = sum(s.size for s in self.spans)
        self.cum = [torch.tensor(np.cumsum(p), dtype=torch.float32, device=dev) for p in probs]
        self.dev = dev

    def real(self, x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
        """A real row's condition: its own state in the chosen column."""
        cond = torch.zeros((x.shape[0], self.width), device=self.dev)
        for k, s in enumerate(self.spans):
            rows = which == k
            st = self.starts[k]
            cond[rows, st : st + s.size] = x[rows, s.start : s.start + s.size]
        return cond

    def fake(self, which: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Conditions drawn from the released frequencies; also the state index per row."""
        n = which.shape[0]
        cond = torch.zeros((n, self.width), device=self.dev)
        states = torch.zeros(n, dtype=torch.long, device=self.dev)
        u = torch.rand(n, generator=gen, device=self.dev)
        for k, s in enumerate(self.spans):
            rows = which == k
            code = torch.searchsorted(self.cum[k], u[rows], right=True).clamp(max=s.size - 1)
            states[rows] = code
            cond[rows.nonzero().squeeze(1), self.starts[k] + code] = 1.0
        return cond, states


class Average:
    """An exponential moving average of the generator's weights (and a copy of its batch-norm
    statistics), kept as the model: a GAN's last iterate oscillates, DP noise makes it worse, and
    the average is post-processing, free of privacy cost. ``horizon`` steps weigh most."""

    def __init__(self, g: torch.nn.Module, horizon: float):
        import copy

        self.model = copy.deepcopy(g).eval()
        self.decay = 1.0 - 1.0 / horizon
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, g: torch.nn.Module) -> None:
        for a, p in zip(self.model.parameters(), g.parameters(), strict=True):
            a.mul_(self.decay).add_(p.detach(), alpha=1.0 - self.decay)
        for a, b in zip(self.model.buffers(), g.buffers(), strict=True):
            a.copy_(b)


def activate(raw: torch.Tensor, layout: Layout) -> torch.Tensor:
    """The generator's output as rows: tanh scalars, Gumbel-softmax one-hots (CTGAN's tau 0.2)."""
    parts = []
    for s in layout.spans:
        block = raw[:, s.start : s.start + s.size]
        parts.append(torch.tanh(block) if s.act == "tanh" else F.gumbel_softmax(block, tau=0.2))
    return torch.cat(parts, dim=1)


def cond_loss(raw: torch.Tensor, cond: Conditions, which, states) -> torch.Tensor:
    """Cross-entropy of the generated state against the condition in the active column."""
    loss = raw.new_zeros(())
    n = max(1, raw.shape[0])
    for k, s in enumerate(cond.spans):
        rows = which == k
        if rows.any():
            logits = raw[rows, s.start : s.start + s.size]
            loss = loss + F.cross_entropy(logits, states[rows], reduction="sum")
    return loss / n


def _one_thread_quietly(fn):
    """Run ``fn`` with one torch thread and Opacus' expected warnings silenced, restoring both."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        threads = torch.get_num_threads()
        # one thread: these layers are small, and OpenMP's spinning threads make a matrix product
        # ten times slower when another process holds a core (seen on 2 cores)
        torch.set_num_threads(1)
        try:
            with warnings.catch_warnings():
                # Opacus' hooks on a module whose input needs no gradient (the rows are data),
                # and torch's note about it: expected, and nothing a user can act on
                warnings.filterwarnings("ignore", message="Full backward hook is firing")
                warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
                return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper


@_one_thread_quietly
def train(
    matrix: np.ndarray,
    layout: Layout,
    cond_columns: list[str],
    cond_probs: list[np.ndarray],
    s: Settings,
    *,
    n_noisy: float,
    epsilon: float | None,
    delta: float,
    secure,
    progress,
    observe=None,
    cond_weights: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Train; returns the generator's weights and the training report. ``observe(optimizer,
    discriminator)`` is called after each discriminator step that saw rows (tests read the
    per-sample gradients there)."""
    dev = device()
    dp = epsilon is not None
    gen = torch.Generator(device=dev)
    gen.manual_seed(int.from_bytes(secure.uniform(1).tobytes()[:8], "little") % (2**63))
    torch.manual_seed(int(gen.initial_seed()))
    x_all = torch.from_numpy(matrix).to(dev)
    n = x_all.shape[0]
    cond = Conditions(layout, cond_columns, cond_probs, dev)
    k = max(1, len(cond_columns))
    weights = torch.full((k,), 1.0 / k, device=dev)
    if cond_weights is not None and len(cond_weights):
        weights = torch.tensor(np.asarray(cond_weights), dtype=torch.float32, device=dev)

    def choose(m: int) -> torch.Tensor:  # the conditional column of each of m rows
        if m == 0:
            return torch.zeros(0, dtype=torch.long, device=dev)
        return torch.multinomial(weights, m, replacement=True, generator=gen)

    width = layout.width + cond.width
    pac = 1 if dp else max(1, min(s.pac, n // 2))
    batch = s.batch if dp else max(2 * pac, min(s.batch, n) // pac * pac)
    g = Generator(s.noise, cond.width, s.generator, layout.width).to(dev)
    d = Discriminator(width * pac, s.discriminator).to(dev)
    opt_g = torch.optim.Adam(g.parameters(), lr=s.lr, betas=(0.5, 0.9), weight_decay=1e-6)
    opt_d_plain = torch.optim.Adam(d.parameters(), lr=s.lr, betas=(0.5, 0.9))
    report: dict[str, Any] = {"device": str(dev), "pac": pac}
    if dp:
        q = min(1.0, s.batch / max(n_noisy, 1.0))
        steps = max(1, math.ceil(s.epochs / q))
        sigma = get_noise_multiplier(
            target_epsilon=epsilon, target_delta=delta, sample_rate=q, steps=steps, alphas=ALPHAS
        )
        d_train = private_discriminator(d, s.clip)
        opt_d = SecureDPOptimizer(
            opt_d_plain,
            noise_multiplier=sigma,
            max_grad_norm=s.clip,
            expected_batch_size=max(1, round(q * n_noisy)),
            loss_reduction="mean",
            noise_source=secure,
        )
        accountant = RDPAccountant()
        report |= {
            "sample_rate": q,
            "noise_multiplier": sigma,
            "clip": s.clip,
            "accountant": "rdp",
            "planned_steps": steps,
        }
        batches_per_epoch = 1.0 / q
    else:
        steps_per_epoch = max(1, n // batch)
        steps = s.epochs * steps_per_epoch
        d_train, opt_d, accountant, sigma, q = d, opt_d_plain, None, 0.0, 0.0
        batches_per_epoch = float(steps_per_epoch)
        perm = torch.randperm(n, generator=gen, device=dev)
    fake_n = batch
    ema = Average(g, horizon=max(10.0, steps / 10.0))
    started = time.monotonic()
    done_steps, loss_d_v, loss_g_v, spent = 0, float("nan"), float("nan"), 0.0
    stop_reason = "planned steps done"
    for step in range(steps):
        if s.minutes is not None and time.monotonic() - started > 60.0 * s.minutes:
            stop_reason = f"time limit ({s.minutes:g} minutes)"
            break
        # ---- the discriminator: one step on real (sampled) and fake rows
        if dp:
            take = torch.from_numpy(np.flatnonzero(secure.uniform(n) < q)).to(dev)
        else:
            at = (step % steps_per_epoch) * batch
            if at == 0 and step:
                perm = torch.randperm(n, generator=gen, device=dev)
            take = perm[at : at + fake_n]
        real = x_all[take]
        b = real.shape[0]
        which = choose(b)
        cond_r = cond.real(real, which) if cond_columns else real.new_zeros((b, 0))
        with torch.no_grad():
            cond_f, _ = cond.fake(which, gen) if cond_columns else (real.new_zeros((b, 0)), None)
            m = max(b, 2)  # batch norm needs two rows
            z = torch.randn((m, s.noise), generator=gen, device=dev)
            pad = cond_f.new_zeros((m - b, cond_f.shape[1]))
            fake = activate(g(z, torch.cat([cond_f, pad])), layout)[:b]
        opt_d.zero_grad(set_to_none=True)
        if b == 0:  # an empty Poisson batch: the update is noise alone, and it is accounted
            for p in d.parameters():
                p.grad = torch.zeros_like(p)
            opt_d.step()
        else:
            pair = torch.stack(
                [torch.cat([real, cond_r], dim=1), torch.cat([fake, cond_f], dim=1)], dim=1
            )
            if pac > 1:  # (b, 2, w) -> (b/pac, 2, pac*w)
                pair = (
                    pair.reshape(b // pac, pac, 2, width)
                    .transpose(1, 2)
                    .reshape(-1, 2, pac * width)
                )
            logits = d_train(pair)
            loss_d = F.softplus(-logits[:, 0]) + F.softplus(logits[:, 1])
            if dp:  # two passes: per-sample norms (ghost), then the clipped sum
                DPTensorFastGradientClipping(d_train, opt_d, loss_d, "sum").backward()
            else:
                loss_d.mean().backward()
            opt_d.step()
            if observe is not None:
                observe(opt_d, d_train)
            loss_d_v = float(loss_d.detach().mean())
        if accountant is not None:
            accountant.step(noise_multiplier=sigma, sample_rate=q)
        # ---- the generator: reads only the discriminator (post-processing)
        if dp:
            d_train.disable_hooks()
        which_g = choose(fake_n)
        if cond_columns:
            cond_g, states = cond.fake(which_g, gen)
        else:
            cond_g, states = x_all.new_zeros((fake_n, 0)), None
        z = torch.randn((fake_n, s.noise), generator=gen, device=dev)
        raw = g(z, cond_g)
        fake = torch.cat([activate(raw, layout), cond_g], dim=1)
        if pac > 1:
            fake = fake.reshape(fake_n // pac, pac * width)
        logits = d(fake.unsqueeze(1)).squeeze(1)
        loss_g = F.softplus(-logits).mean()
        if cond_columns:
            loss_g = loss_g + cond_loss(raw, cond, which_g, states)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        ema.update(g)
        for p in d.parameters():  # the generator's backward left gradients on the discriminator
            p.grad = None
        if dp:
            d_train.enable_hooks()
        loss_g_v = float(loss_g.detach())
        done_steps = step + 1
        if done_steps % max(1, int(batches_per_epoch)) == 0 or done_steps == steps:
            epoch = done_steps / batches_per_epoch
            what = f"epoch {epoch:.0f}/{s.epochs} on {dev.type}, loss D {loss_d_v:.3f} G {loss_g_v:.3f}"
            if accountant is not None:
                spent = accountant.get_epsilon(delta, alphas=ALPHAS)
                what += f", epsilon {spent:.2f} of {epsilon:g}"
            progress(what, 0.1 + 0.85 * done_steps / steps)
    if accountant is not None:
        spent = accountant.get_epsilon(delta, alphas=ALPHAS) if done_steps else 0.0
        if spent > epsilon * (1 + 1e-9):  # cannot happen with the calibrated sigma
            raise RuntimeError(f"DP-SGD spent epsilon {spent} over its target {epsilon}")
        report |= {"epsilon_spent": spent, "delta": delta}
    report |= {
        "steps": done_steps,
        "epochs": round(done_steps / batches_per_epoch, 2),
        "stopped": stop_reason,
        "seconds": round(time.monotonic() - started, 1),
        "loss_d": loss_d_v,
        "loss_g": loss_g_v,
    }
    report["generator_average"] = ema.decay
    return ema.model.export(), report
