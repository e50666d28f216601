"""The dpcgan kind on small data: real Opacus training (one or two epochs), real artifacts, the CLI.

Quality lives in benchmarks/bench_dpcgan.py; these tests check what must hold at any size: the privacy
machinery (per-sample clipping, the accountant, the budget split), the artifact (safetensors, no pickle,
no training rows), conditioning, determinism and the messages.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.models.conftest import out_of, synthdsl

pytest.importorskip("torch", reason="the neural extra is part of the test extras")


def make_data(path: Path, n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A diagnosis (one label rare), two lab values depending on it, and a float column whose values
    are all distinct (so an artifact holding a training row would show it)."""
    rng = np.random.default_rng(seed)
    diagnosis = rng.choice(["none", "prediabetes", "diabetes"], n, p=[0.6, 0.3, 0.1])
    diagnosis[:3] = "rare"  # three rows of a rare value
    base = {"none": 5.0, "prediabetes": 6.2, "diabetes": 8.5, "rare": 12.0}
    glucose = np.array([base[d] for d in diagnosis]) + rng.normal(0, 0.5, n)
    frame = pd.DataFrame(
        {
            "diagnosis": diagnosis,
            "glucose": np.round(glucose, 2),
            "smoker": rng.choice(["yes", "no"], n, p=[0.25, 0.75]),
            "marker": rng.uniform(100, 200, n).round(9),
        }
    )
    frame.to_csv(path, index=False)
    return frame


DIAG = 'enum("none", "prediabetes", "diabetes", "rare")'


def spec(
    privacy: str = "privacy epsilon 3 delta 1e-5",
    *,
    options: str = "train epochs 2 batch 64",
    condition: str = "condition on diagnosis",
    given: bool = True,
    rows: int = 300,
    extra_table: str = "",
) -> str:
    draw = (
        "  (glucose, smoker, marker) ~ labs given diagnosis"
        if given
        else "  (diagnosis, glucose, smoker, marker) ~ labs"
    )
    diag = (
        '  diagnosis enum("none", "prediabetes", "diabetes", "rare") = categorical('
        '"none": 0.5, "prediabetes": 0.3, "diabetes": 0.15, "rare": 0.05)'
        if given
        else f"  diagnosis {DIAG}"
    )
    return "\n".join(
        [
            "seed 5",
            'dataset survey = csv("survey.csv")',
            "model labs : dpcgan {",
            "  learn from survey (diagnosis, glucose, smoker, marker)",
            *([f"  {condition}"] if condition else []),
            f"  {privacy}",
            f"  {options}",
            "  generator 32 32",
            "  discriminator 32 32",
            "}",
            "table patients {",
            f"  rows {rows}",
            "  id int = serial() key",
            diag,
            "  glucose float clamp(0, 30)",
            '  smoker enum("yes", "no")',
            "  marker float",
            draw,
            *([f"  {extra_table}"] if extra_table else []),
            "}",
            "",
        ]
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    make_data(tmp_path / "survey.csv")
    return tmp_path


def fit_and_generate(work: Path, text: str, out: str = "out") -> pd.DataFrame:
    (work / "s.synth").write_text(text)
    r = synthdsl(work, "fit", "s.synth", "--artifacts", "models", timeout=300)
    assert r.returncode == 0, out_of(r)
    r = synthdsl(
        work,
        "generate",
        "s.synth",
        "--artifacts",
        "models",
        "--out",
        out,
        "--format",
        "csv",
        timeout=300,
    )
    assert r.returncode == 0, out_of(r)
    return pd.read_csv(work / out / "patients.csv")


def model_json(work: Path) -> dict:
    return json.loads((work / "models" / "labs" / "model.json").read_text())


def test_dp_fit_spends_at_most_its_target_and_records_every_share(work: Path) -> None:
    rows = fit_and_generate(work, spec())
    assert len(rows) == 300
    doc = model_json(work)
    mech = {m["name"]: m for m in doc["privacy"]["mechanisms"]}
    # the preprocessing is private and recorded: every column's release, the rows, the training
    assert {
        "rows",
        "categories:diagnosis",
        "categories:smoker",
        "bounds:marker",
        "histogram:marker",
        "histogram:glucose",
        "training",
    } <= set(mech)
    assert "bounds:glucose" not in mech  # declared by its clamp: public, free
    assert math.isclose(sum(m["epsilon"] for m in mech.values()), 3.0, rel_tol=1e-9)
    assert math.isclose(sum(m["delta"] for m in mech.values()), 1e-5, rel_tol=1e-9)
    assert all(m["epsilon"] > 0 for m in mech.values())
    training = doc["report"]["training"]
    target = mech["training"]["epsilon"]
    assert 0 < training["epsilon_spent"] <= target
    assert training["noise_multiplier"] > 0 and training["clip"] == 0.1  # the DP default
    # the accountant's figure, recomputed from what the fit reports, is within the target too
    from opacus.accountants import RDPAccountant

    acc = RDPAccountant()
    acc.history = [(training["noise_multiplier"], training["sample_rate"], training["steps"])]
    assert acc.get_epsilon(mech["training"]["delta"]) <= target + 1e-9
    # the budget was used: well above half the target (the noise is calibrated, not excessive)
    assert training["epsilon_spent"] > 0.5 * target


def test_the_discriminator_is_wrapped_and_clips_every_sample() -> None:
    """The training loop's own discriminator steps, observed: Opacus computed each sample's
    gradient norm, some exceed the bound, and the sum the noise is added to is within b * C."""
    from opacus.grad_sample import GradSampleModuleFastGradientClipping

    from synthdsl.models.bayesnet import encode
    from synthdsl.models.dpcgan import train
    from synthdsl.models.dpcgan.transform import Layout
    from synthdsl.models.noise import SecureNoise

    enc = encode.Categorical("c", ["a", "b"], ["a", "b"])
    layout = Layout({"c": enc})
    matrix = np.zeros((200, layout.width), dtype=np.float32)
    matrix[np.arange(200), np.arange(200) % 2] = 1.0
    seen = []

    def observe(opt, module) -> None:
        import torch

        assert isinstance(module, GradSampleModuleFastGradientClipping)
        norms = module.per_sample_gradient_norms
        params = [p for p in module.parameters() if p.requires_grad]
        summed = torch.stack([p.summed_grad.norm() for p in params]).norm()
        seen.append((len(norms), float(norms.max()), float(summed), opt.max_grad_norm))

    settings = train.Settings(
        epochs=1,
        batch=50,
        clip=1e-3,
        noise=8,
        generator=(8,),
        discriminator=(8,),
        lr=1e-3,
        pac=1,
        minutes=None,
    )
    noise = SecureNoise()
    _, report = train.train(
        matrix,
        layout,
        ["c"],
        [np.array([0.5, 0.5])],
        settings,
        n_noisy=200.0,
        epsilon=2.0,
        delta=1e-5,
        secure=noise,
        progress=lambda *a: None,
        observe=observe,
    )
    assert len(seen) >= 2 and report["steps"] == 4
    for b, _biggest, summed, clip in seen:
        assert clip == 1e-3 and b > 0
        assert summed <= b * clip * (1 + 1e-4)  # each sample clipped to the bound
    assert max(s[1] for s in seen) > 1e-3  # raw per-sample gradients exceeded it
    assert noise.draws > 0  # the Gaussian noise came from the secure source


def test_opacus_per_sample_norms_are_those_of_a_real_row_and_a_fake_row_together() -> None:
    """A sample is a (real, fake) pair: Opacus' ghost norms equal the norms of per-sample
    gradients computed independently with torch.func, and the clipped sum is what they give."""
    import torch
    from opacus.utils.fast_gradient_clipping_utils import DPTensorFastGradientClipping
    from torch.func import functional_call, grad, vmap
    from torch.nn import functional as F

    from synthdsl.models.dpcgan.nets import Discriminator
    from synthdsl.models.dpcgan.train import SecureDPOptimizer, private_discriminator
    from synthdsl.models.noise import SecureNoise

    torch.manual_seed(0)
    d = Discriminator(6, (5, 4), dropout=0.0)
    pairs = torch.randn(7, 2, 6)
    params = {k: v.detach().clone() for k, v in d.named_parameters()}

    def loss(p, x):
        out = functional_call(d, p, (x.unsqueeze(0),))[0]
        return F.softplus(-out[0]) + F.softplus(out[1])

    per_sample = vmap(grad(loss), in_dims=(None, 0))(params, pairs)
    expected = torch.stack([g.reshape(7, -1).norm(dim=1) for g in per_sample.values()], 1).norm(
        dim=1
    )
    wrapped = private_discriminator(d, clip=0.05)
    opt = SecureDPOptimizer(
        torch.optim.SGD(d.parameters(), lr=0.0),
        noise_multiplier=0.0,
        max_grad_norm=0.05,
        expected_batch_size=7,
        loss_reduction="sum",
        noise_source=SecureNoise(),
    )
    logits = wrapped(pairs)
    DPTensorFastGradientClipping(
        wrapped, opt, F.softplus(-logits[:, 0]) + F.softplus(logits[:, 1]), "sum"
    ).backward()
    assert torch.allclose(wrapped.per_sample_gradient_norms, expected, rtol=1e-4)
    factor = (0.05 / (expected + 1e-6)).clamp(max=1.0)
    for name, p in d.named_parameters():
        want = torch.einsum("i,i...->...", factor, per_sample[name])
        assert torch.allclose(p.grad, want, atol=1e-6), name


def test_without_dp_a_tiny_dataset_keeps_its_category_frequencies(tmp_path: Path) -> None:
    frame = make_data(tmp_path / "survey.csv", n=600, seed=1)
    text = spec(
        "privacy none",
        options="train epochs 60 batch 100",
        condition="",
        given=False,
        rows=4000,
    )
    rows = fit_and_generate(tmp_path, text)
    for col in ("diagnosis", "smoker"):
        real = frame[col].value_counts(normalize=True)
        syn = rows[col].value_counts(normalize=True).reindex(real.index, fill_value=0.0)
        assert (syn - real).abs().max() < 0.08, (col, real.to_dict(), syn.to_dict())
    assert set(rows["diagnosis"]) <= {"none", "prediabetes", "diabetes", "rare"}
    doc = json.loads((tmp_path / "models" / "labs" / "model.json").read_text())
    assert doc["privacy"]["mechanisms"] == [] and doc["report"]["rows"] == "exact"


def test_conditioning_yields_every_requested_value_and_only_it(work: Path) -> None:
    """Every label keeps a state of its own (`other below 0%`): by default, under DP, a label whose
    noisy share falls under 0.5% (the rare one, 3 rows of 400) shares the `other` state, and a row
    asking for it is conditioned on that group (the flake this test once showed)."""
    import synthdsl

    (work / "s.synth").write_text(spec(options="train epochs 2 batch 64\n  other below 0%"))
    s = synthdsl.load(work / "s.synth")
    s.use_artifacts(str(work / "models"))
    s.fit()
    from synthdsl.models import artifacts
    from synthdsl.models.dpcgan.kind import KIND
    from synthdsl.values import Values

    m = s.plan().model("labs")
    art = artifacts.load(m)
    sampler = KIND.load(m, art.meta, art.arrays)
    asked = np.array(["rare", "none", "diabetes", "rare", "prediabetes"] * 40, dtype=object)
    got = sampler.sample_states(len(asked), {"diagnosis": Values(asked)}, np.random.default_rng(1))
    labels = np.array(sampler.layout.encoders["diagnosis"].states, dtype=object)
    assert (labels[got["diagnosis"]] == asked).all()
    out = sampler.sample(len(asked), {"diagnosis": Values(asked)}, np.random.default_rng(1))
    assert set(out) == {"glucose", "smoker", "marker"}
    assert all(len(v.data) == len(asked) for v in out.values())


def test_a_declared_label_without_training_rows_is_still_produced(work: Path) -> None:
    """An enum's labels are public: one the data never holds is a state of the model, and rows
    asked for it are produced (with the model's columns drawn for them)."""
    text = (
        spec()
        .replace('"diabetes", "rare") =', '"diabetes", "rare", "unseen") =')
        .replace('"rare": 0.05', '"rare": 0.04, "unseen": 0.01')
    )
    rows = fit_and_generate(work, text.replace("rows 300", "rows 2000"))
    unseen = rows[rows["diagnosis"] == "unseen"]
    assert len(unseen) > 0
    assert unseen["glucose"].between(0, 30).all() and unseen["smoker"].isin(["yes", "no"]).all()


def test_the_artifact_is_safetensors_and_json_without_training_rows(work: Path) -> None:
    frame = pd.read_csv(work / "survey.csv")
    fit_and_generate(work, spec(options="train epochs 1 batch 64"))
    folder = work / "models" / "labs"
    assert sorted(p.name for p in folder.iterdir()) == [
        "arrays.npz",
        "model.json",
        "weights.safetensors",
    ]
    from safetensors.numpy import load_file

    weights = load_file(str(folder / "weights.safetensors"))
    assert {"out.w", "out.b", "g0.w", "g0.bn_mean"} <= set(weights)
    assert all(a.dtype.kind == "f" for a in weights.values())
    with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    with zipfile.ZipFile(folder / "arrays.npz") as z:
        assert all(n.endswith(".npy") for n in z.namelist())
    # no training value of the all-distinct column appears anywhere in the artifact
    text = (folder / "model.json").read_text()
    numbers = np.concatenate(
        [a.ravel().astype(np.float64) for a in [*arrays.values(), *weights.values()]]
    )
    for v in frame["marker"].to_numpy()[:200]:
        assert repr(v) not in text and f"{v:.6f}" not in text
        assert not np.isclose(numbers, v, rtol=0, atol=1e-9).any()


def test_same_artifact_and_seed_give_the_same_bytes_for_any_chunking(work: Path) -> None:
    fit_and_generate(work, spec(rows=700), out="a")
    args = ["--artifacts", "models", "--format", "csv", "--workers", "2", "--chunk-size", "3"]
    r = synthdsl(work, "generate", "s.synth", "--out", "b", *args)
    assert r.returncode == 0, out_of(r)
    assert "fitting" not in out_of(r)
    assert (work / "a" / "patients.csv").read_bytes() == (work / "b" / "patients.csv").read_bytes()


def test_rules_over_model_columns_hold_on_every_row(work: Path) -> None:
    rows = fit_and_generate(
        work,
        spec(extra_table='rule high: glucose > 5.5 or smoker == "no"'),
    )
    assert ((rows["glucose"] > 5.5) | (rows["smoker"] == "no")).all()


def test_an_edited_weights_file_is_refused(work: Path) -> None:
    fit_and_generate(work, spec("privacy none", options="train epochs 1 batch 64"))
    path = work / "models" / "labs" / "weights.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    r = synthdsl(
        work, "generate", "s.synth", "--artifacts", "models", "--out", "o2", "--format", "csv"
    )
    assert r.returncode != 0 and "Traceback" not in out_of(r)
    assert "weights.safetensors does not match the sha256" in out_of(r)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("privacy epsilon 3", "give a delta"),
        ("privacy epsilon 3 delta 1e-5\n  pac 10", "packing is for `privacy none` only"),
        ("condition on glucose\n  privacy none", "a condition is a category"),
        ("condition on smoker\n  privacy none", "not a column of `condition on`"),
        ("privacy none\n  train epochs 0", "epochs must be a whole number"),
        ("privacy none\n  dropout 3", "dpcgan has no option 'dropout'"),
    ],
)
def test_bad_options_are_check_errors(work: Path, change: str, message: str) -> None:
    text = spec(change, condition="")
    (work / "s.synth").write_text(text)
    r = synthdsl(work, "check", "s.synth")
    assert r.returncode == 1, out_of(r)
    assert message in out_of(r) and "Traceback" not in out_of(r)
    assert "s.synth:" in out_of(r)


def test_a_missing_neural_extra_names_it(work: Path) -> None:
    """Without torch the check fails with E401 and the install line (torch hidden from imports)."""
    import subprocess
    import sys

    (work / "s.synth").write_text(spec())
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['opacus'] = None\n"
        "from synthdsl._entry import main; sys.argv = ['synthdsl', 'check', 's.synth']; main()"
    )
    from tests.models.conftest import ROOT

    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "E401" in r.stdout + r.stderr
    assert "pip install 'synthdsl[neural]'" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
