"""The bayesnet model kind end to end: fit, artifacts, determinism, rules, budget, privacy, given."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthdsl
from synthdsl.errors import SpecError, SynthError
from synthdsl.models import artifacts
from synthdsl.models.noise import SecureNoise
from tests.models.conftest import ADULT, adult_spec, cli


def _fit(spec_path: Path) -> synthdsl.Spec:
    s = synthdsl.load(spec_path)
    assert s.fit() == {"net": "fitted"}
    return s


def test_same_artifact_and_seed_give_the_same_bytes_for_any_chunking(workdir: Path) -> None:
    spec = workdir / "s.synth"
    spec.write_text(adult_spec(rows=3000))
    _fit(spec)
    folder = workdir / ".synthdsl" / "models" / "s" / "net"
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "model.json"]
    one = cli("generate", "s.synth", "--out", "a", cwd=workdir)
    two = cli(
        "generate", "s.synth", "--out", "b", "--workers", "2", "--chunk-size", "7", cwd=workdir
    )
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert (workdir / "a/twin.csv").read_bytes() == (workdir / "b/twin.csv").read_bytes()
    other = cli("generate", "s.synth", "--out", "c", "--seed", "12", cwd=workdir)
    assert (workdir / "a/twin.csv").read_bytes() != (workdir / "c/twin.csv").read_bytes()
    assert other.returncode == 0


def test_two_fits_with_the_same_seed_differ_under_dp(workdir: Path) -> None:
    spec = workdir / "s.synth"
    spec.write_text(adult_spec())
    s = _fit(spec)
    first = np.load(workdir / ".synthdsl/models/s/net/arrays.npz")["cpt0"].copy()
    assert s.fit(force=True) == {"net": "fitted"}
    second = np.load(workdir / ".synthdsl/models/s/net/arrays.npz")["cpt0"]
    assert first.shape != second.shape or not np.array_equal(first, second)


def test_without_dp_the_fit_is_exact_and_repeatable(workdir: Path) -> None:
    spec = workdir / "s.synth"
    spec.write_text(adult_spec("privacy none"))
    s = _fit(spec)
    a = dict(np.load(workdir / ".synthdsl/models/s/net/arrays.npz"))
    s.fit(force=True)
    b = dict(np.load(workdir / ".synthdsl/models/s/net/arrays.npz"))
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("epsilon", [0.5, 2.0])
def test_count_noise_has_the_variance_of_its_epsilon(epsilon: float) -> None:
    noise = SecureNoise()
    draws = noise.geometric(epsilon, 1.0, 200_000)
    alpha = np.exp(-epsilon)
    expected = 2 * alpha / (1 - alpha) ** 2  # two-sided geometric
    assert draws.var() == pytest.approx(expected, rel=0.05)
    assert noise.draws == 400_000 and np.all(draws == np.round(draws))


def test_conditional_tables_get_noisier_as_epsilon_shrinks(workdir: Path) -> None:
    """Repeated fits: the spread of a learned probability scales with 1/epsilon."""
    from synthdsl.models.registry import model_kind

    frame = pd.read_csv(ADULT, na_values="?")

    def spread(eps: float) -> float:
        text = adult_spec(f"privacy epsilon {eps}", columns=["sex"])
        plan = synthdsl.loads(text, path=str(workdir / "s.synth")).plan()
        kind, spec = model_kind("bayesnet"), plan.models[0]
        values = []
        for _ in range(30):
            fitted = kind.fit(spec, frame, SecureNoise(), lambda what, done: None)
            values.append(fitted.arrays["cpt0"].ravel()[0])
        return float(np.std(values))

    assert spread(0.05) > 3 * spread(5.0)


def test_mechanisms_add_up_to_the_declared_budget(workdir: Path) -> None:
    text = adult_spec("privacy epsilon 0.8 delta 1e-6").replace(
        'dataset adult = csv("adult.csv", na = "?")',
        'dataset adult = csv("adult.csv", na = "?")\nbudget adult epsilon 1 delta 1e-5',
    )
    plan = synthdsl.loads(text, path=str(workdir / "s.synth")).plan()
    m = plan.models[0]
    assert sum(x.epsilon for x in m.mechanisms) == pytest.approx(0.8)
    assert plan.budgets[0].spent_epsilon == pytest.approx(0.8)
    over = text.replace("budget adult epsilon 1 ", "budget adult epsilon 0.5 ")
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(over, path=str(workdir / "s.synth"))
    d = exc.value.diagnostics[0]
    assert d.code == "E416" and "0.8" in d.message and d.span.line == 3


def test_privacy_none_is_said_loudly(workdir: Path) -> None:
    spec = workdir / "s.synth"
    spec.write_text(adult_spec("privacy none"))
    plan = cli("plan", "s.synth", cwd=workdir)
    assert "NOT differentially private" in plan.stdout
    out = cli("generate", "s.synth", "--out", "o", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "fitting it now" in out.stderr  # no artifact yet: generate fits, and says so
    card = (workdir / "o/card.md").read_text()
    assert "WARNING: model `net` learned from dataset `adult` WITHOUT differential privacy" in card
    data = json.loads((workdir / "o/card.json").read_text())
    assert data["models"][0]["privacy"] == "none" and data["privacy"][0]["epsilon"] is None
    assert data["datasets"][0]["role"] == "learned"


def test_a_model_needs_a_privacy_line(workdir: Path) -> None:
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(adult_spec(""), path=str(workdir / "s.synth"))
    assert exc.value.diagnostics[0].code == "E407"
    assert "privacy none" in exc.value.diagnostics[0].hint


def test_rules_hold_when_the_training_data_breaks_them(workdir: Path) -> None:
    frame = pd.read_csv(ADULT, na_values="?")
    husbands = frame.index[frame["relationship"] == "Husband"]
    frame.loc[husbands[::3], "sex"] = "Female"  # a third of the husbands break the rule
    frame.to_csv(workdir / "broken.csv", index=False)
    text = adult_spec(
        "privacy epsilon 2",
        data="broken.csv",
        frame=frame,
        extra_table='rule husband_is_male: relationship == "Husband" implies sex == "Male"',
    )
    (workdir / "s.synth").write_text(text)
    out = synthdsl.load(workdir / "s.synth").generate()["twin"]
    assert len(out) == 1500
    assert not ((out["relationship"] == "Husband") & (out["sex"] == "Female")).any()
    plan = synthdsl.load(workdir / "s.synth").plan().to_text()
    assert "in the model's tables (entries where it fails are zeroed)" in plan
    # the card counts the training rows that broke the rule: exactly without DP, noisy with it
    broken = int(((frame["relationship"] == "Husband") & (frame["sex"] == "Female")).sum())
    (workdir / "none.synth").write_text(text.replace("privacy epsilon 2", "privacy none"))
    res = cli("generate", "none.synth", "--out", "o", cwd=workdir)
    assert res.returncode == 0, res.stderr
    card = json.loads((workdir / "o/card.json").read_text())
    assert card["models"][0]["rules_broken_in_training"] == [
        {"rule": "husband_is_male", "rows": broken, "private": False}
    ]
    assert f"`husband_is_male` {broken:,}" in (workdir / "o/card.md").read_text()


def test_a_stale_artifact_is_refused_with_what_changed(workdir: Path) -> None:
    spec = workdir / "s.synth"
    spec.write_text(adult_spec())
    _fit(spec)
    spec.write_text(adult_spec().replace("privacy epsilon 1", "privacy epsilon 1.5"))
    with pytest.raises(artifacts.ArtifactStale, match="the model block's text"):
        synthdsl.load(spec).generate()
    spec.write_text(adult_spec())
    data = workdir / "adult.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[1] + "\n")
    res = cli("generate", "s.synth", "--out", "o", cwd=workdir)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "the dataset's content" in res.stderr and "synthdsl fit --force" in res.stderr
    assert not (workdir / "o").exists()


def test_an_edited_artifact_is_refused(workdir: Path) -> None:
    spec = workdir / "s.synth"
    spec.write_text(adult_spec())
    s = _fit(spec)
    folder = workdir / ".synthdsl/models/s/net"
    # an object array (a pickle inside the npz), with its sha256 recorded so only the content is wrong
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, z.open("cpt0.npy", "w") as f:
        np.lib.format.write_array(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    (folder / "arrays.npz").write_bytes(buf.getvalue())
    doc = json.loads((folder / "model.json").read_text())
    import hashlib

    doc["arrays_sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (folder / "model.json").write_text(json.dumps(doc))
    with pytest.raises(SynthError, match="other than numeric arrays"):
        synthdsl.load(spec).generate()
    s.fit(force=True)
    raw = bytearray((folder / "arrays.npz").read_bytes())
    raw[-30] ^= 0xFF
    (folder / "arrays.npz").write_bytes(bytes(raw))
    with pytest.raises(SynthError, match="does not match the sha256"):
        synthdsl.load(spec).generate()


def test_weights_learn_counts_as_if_unrolled(workdir: Path) -> None:
    frame = pd.read_csv(ADULT, na_values="?")[["sex", "relationship", "class"]]
    counts = frame.value_counts(dropna=False).rename("n").reset_index()
    counts.to_csv(workdir / "counts.csv", index=False)
    frame.to_csv(workdir / "rows.csv", index=False)
    cols = ["sex", "relationship", "class"]

    def arrays(data: str, extra: str) -> dict:
        text = adult_spec("privacy none", columns=cols, data=data, frame=frame)
        text = text.replace("(sex, relationship, class)\n", f"(sex, relationship, class){extra}\n")
        folder = workdir / data.replace(".csv", "")
        folder.mkdir()
        (folder / "s.synth").write_text(text.replace(f'"{data}"', f'"../{data}"'))
        synthdsl.load(folder / "s.synth").fit()
        return dict(np.load(folder / ".synthdsl/models/s/net/arrays.npz"))

    weighted, unrolled = arrays("counts.csv", " weight n"), arrays("rows.csv", "")
    assert weighted.keys() == unrolled.keys()
    for k in weighted:
        np.testing.assert_allclose(weighted[k], unrolled[k])


def test_numeric_columns_keep_their_point_mass_and_range(workdir: Path) -> None:
    spec = workdir / "s.synth"
    text = adult_spec("privacy none").replace(
        "  `capital-gain` int", "  `capital-gain` int clamp(0, 99999)"
    )
    spec.write_text(text)
    out = synthdsl.load(spec).generate()["twin"]
    real = pd.read_csv(ADULT)
    zero_real = (real["capital-gain"] == 0).mean()
    assert (out["capital-gain"] == 0).mean() == pytest.approx(zero_real, abs=0.03)
    assert out["capital-gain"].between(0, 99999).all()
    assert out["age"].between(real["age"].min(), real["age"].max()).all()


def test_given_is_exact_conditioning_as_pgmpy_infers_it(workdir: Path) -> None:
    """Rows drawn given sex = Female follow P(relationship | sex = Female) of the fitted network,
    as pgmpy's exact inference computes it (chi-square, fixed seed)."""
    from pgmpy.inference import VariableElimination

    cols = ["sex", "relationship", "class", "age"]
    frame = pd.read_csv(ADULT, na_values="?")
    text = adult_spec("privacy none", columns=cols, given="sex", rows=20_000)
    text = text.replace('  sex enum("Female", "Male")', '  sex enum("Female", "Male") = "Female"')
    (workdir / "s.synth").write_text(text)
    s = synthdsl.load(workdir / "s.synth")
    s.fit()
    out = s.generate()["twin"]
    assert (out["sex"] == "Female").all()
    from synthdsl.steps.model import sampler_for

    sampler = sampler_for(s.plan().models[0])
    net, enc = sampler.network, sampler.encoders
    assert net.order[0] == "sex" and net.parents["sex"] == []
    post = VariableElimination(net.to_pgmpy()).query(
        ["relationship"], evidence={"sex": enc["sex"].states.index("Female")}, show_progress=False
    )
    states = enc["relationship"].states
    observed = out["relationship"].value_counts().reindex(states, fill_value=0).to_numpy()
    expected = np.asarray(post.values) * len(out)
    keep = expected > 5
    chi = stats.chisquare(
        observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()
    )
    assert chi.pvalue > 0.001
    assert observed[~keep].sum() <= 5 * max(1, (~keep).sum())
    del frame


def test_checking_a_model_spec_does_not_import_pgmpy(workdir: Path) -> None:
    (workdir / "s.synth").write_text(adult_spec())
    import subprocess
    import sys

    code = (
        "import sys, synthdsl; s = synthdsl.load('s.synth'); s.plan(); "
        "assert 'pgmpy' not in sys.modules and 'torch' not in sys.modules, 'imported'"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert res.returncode == 0, res.stderr


def test_concurrent_runs_fit_once_and_agree(workdir: Path) -> None:
    """Two generates at once without an artifact: one fits (the budget is spent once), the other
    waits for it and uses the same artifact, so both write the same bytes."""
    import os
    import subprocess
    import sys

    (workdir / "s.synth").write_text(adult_spec())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "synthdsl", "generate", "s.synth", "--out", out],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in ("a", "b")
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    said = "".join(err for _, err in results)
    assert said.count("fitting it now") == 1, said
    assert (workdir / "a/twin.csv").read_bytes() == (workdir / "b/twin.csv").read_bytes()
    cards = [json.loads((workdir / d / "card.json").read_text()) for d in ("a", "b")]
    assert cards[0]["models"][0]["artifact_sha256"] == cards[1]["models"][0]["artifact_sha256"]


def test_a_refit_in_the_same_process_is_what_generate_uses(workdir: Path) -> None:
    """``fit(force=True)`` then ``generate`` in one process: the new fit, not a cached one."""
    (workdir / "s.synth").write_text(adult_spec())
    s = synthdsl.load(workdir / "s.synth")
    s.fit()
    first = s.generate()["twin"]
    s.fit(force=True)  # new DP noise: another network
    second = s.generate()["twin"]
    assert not first.equals(second)
    assert s.generate()["twin"].equals(second)


def test_text_in_a_numeric_column_names_the_row(workdir: Path) -> None:
    frame = pd.read_csv(ADULT, na_values="?")
    frame["capital-gain"] = frame["capital-gain"].astype(object)
    frame.loc[41, "capital-gain"] = "abc"
    frame.to_csv(workdir / "bad.csv", index=False)
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(adult_spec(data="bad.csv"), path=str(workdir / "s.synth"))
    d = exc.value.diagnostics[0]
    assert d.code == "E417" and "'abc' (row 42)" in d.message and "capital-gain" in d.message


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [("date", -719_162.0, 2_932_896.0), ("datetime", -62_135_596_800.0, 253_402_300_799.0)],
)
def test_private_bounds_never_leave_what_the_kind_can_hold(kind: str, low: float, high: float):
    """A spurious noisy magnitude class far out (about one fit in twenty) once gave a date column
    bounds of +-2**62 days, and every generated row failed "date outside years 1 to 9999"."""
    from synthdsl.models.bayesnet.encode import Release, private_bounds

    release = Release(epsilon=0.05, delta=0.0, noise=SecureNoise())
    days = np.arange(-7300.0, 7300.0, 5.0) * (1.0 if kind == "date" else 86_400.0)
    seen = [private_bounds(days, None, release, kind) for _ in range(400)]
    assert all(low <= lo < hi <= high for lo, hi in seen), (min(seen), max(seen))
    # the cut does not widen ordinary bounds: most fits stay within one class of the data
    near = [lo >= 4 * days.min() and hi <= 4 * days.max() for lo, hi in seen]
    assert sum(near) > 0.8 * len(seen)
    far = np.full(500, 2.0**40)
    assert private_bounds(far, None, Release(10.0, 0.0, SecureNoise()), kind)[1] == high
