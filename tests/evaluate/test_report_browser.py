"""The HTML report in a real browser: headless Chromium (Debian's package) driven by Playwright.

Opened from a file:// URL with every other request blocked and recorded, the page must show each
section, every plot with a drawn SVG of real size, and the scores on the cards; on a small fixture and
on the shared Adult data. A missing /usr/bin/chromium fails (CI installs it), it never skips.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from synthdsl.evaluation import evaluate
from synthdsl.evaluation.report import write_report
from tests.conftest import SHARED
from tests.evaluate.frames import frame as base_frame

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECTIONS = ("summary", "fidelity", "utility", "privacy", "settings")
ADULT = SHARED / "data" / "adult" / "adult_train.csv"


def frame(n: int, seed: int) -> pd.DataFrame:
    return base_frame(
        n,
        seed,
        {"<script>alert(1)</script>": (("a", "b", "c"), None), "g": (("u", "v"), (0.8, 0.2))},
    )


def expected_heatmaps(fidelity: dict) -> int:
    pairs = fidelity["pairs"]
    return sum(len(pairs[key]["columns"]) >= 2 for key in ("correlation_real", "cramers_v_real"))


def check_in_browser(path: Path, data: dict) -> None:
    """Open the report offline and check what a reader sees; see the module docstring."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: the report is tested in Debian's chromium "
        "(apt-get install chromium; `make test` installs it)"
    )
    outside: list[str] = []
    errors: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", guard)
            page = context.new_page()
            page.on(
                "request",
                lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_load_state("networkidle")

            for section in SECTIONS:
                expect(page.locator(f"section#{section}")).to_be_visible()
                expect(page.locator(f"section#{section} h2")).to_be_visible()

            # Score cards: the scores as numbers, equal to the JSON's.
            for part in ("fidelity", "utility", "privacy"):
                shown = page.locator(f"#card-{part} .score")
                expect(shown).to_be_visible()
                score = data[part]["score"]
                if score is None:
                    expect(shown).to_have_text("not measured (no --target)")
                else:
                    assert float(shown.inner_text()) == pytest.approx(score, abs=5e-4)

            # One plot per column plus the heatmaps, each visible with a drawn SVG of real size.
            columns = list(data["fidelity"]["columns"])
            plots = page.locator("figure.plot")
            expect(plots).to_have_count(len(columns) + expected_heatmaps(data["fidelity"]))
            shown_columns = page.locator("figure.plot[data-column]")
            assert [
                shown_columns.nth(i).get_attribute("data-column") for i in range(len(columns))
            ] == columns
            for i in range(plots.count()):
                figure = plots.nth(i)
                figure.scroll_into_view_if_needed()
                expect(figure).to_be_visible()
                expect(figure.locator("figcaption")).to_be_visible()
                svg = figure.locator("svg")
                expect(svg).to_have_count(1)
                box = svg.bounding_box()
                assert box is not None and box["width"] > 50 and box["height"] > 50, (i, box)
            # The plots are painted, not just laid out: the first has both series' colours.
            pixels = Image.open(io.BytesIO(plots.first.locator("svg").screenshot())).convert("RGB")
            colours = {c for _, c in pixels.getcolors(maxcolors=1 << 20)}
            assert _near(colours, (0x00, 0x72, 0xB2)) and _near(colours, (0xE6, 0x9F, 0x00))

            for table in ("#fidelity-joint", "#privacy-figures", "#settings-columns"):
                expect(page.locator(table)).to_be_visible()
            if data["utility"]["score"] is not None:
                expect(page.locator("#utility-models")).to_be_visible()
                for col in data["settings"]["subgroups"]:
                    expect(page.locator(f'table[data-subgroup="{col}"]')).to_be_visible()
            # Untrusted names are text, never markup: nothing ran, nothing was fetched.
            assert page.evaluate("document.querySelectorAll('script').length") == 0
        finally:
            browser.close()
    assert outside == [], f"the report requested outside resources: {outside}"
    assert errors == [], errors


def _near(colours: set[tuple[int, int, int]], target: tuple[int, int, int]) -> bool:
    return any(sum(abs(a - b) for a, b in zip(c, target)) < 30 for c in colours)


def test_small_fixture_in_the_browser(tmp_path):
    result = evaluate(
        frame(400, 1),
        frame(400, 3),
        holdout=frame(400, 2),
        target="label",
        subgroups=["g"],
        attacks=False,
    )
    path = tmp_path / "report.html"
    write_report(path, result)
    check_in_browser(path, json.loads(result.to_json()))


def test_without_target_in_the_browser(tmp_path):
    result = evaluate(frame(300, 1), frame(300, 3), attacks=False)
    path = tmp_path / "report.html"
    write_report(path, result)
    check_in_browser(path, json.loads(result.to_json()))


@pytest.mark.slow
def test_adult_in_the_browser(tmp_path):
    data = pd.read_csv(ADULT, na_values=["?"], skipinitialspace=True).sample(6000, random_state=11)
    real, holdout, other = (data.iloc[i * 2000 : (i + 1) * 2000] for i in range(3))
    rng = np.random.default_rng(0)
    # Each column shuffled on its own: marginals kept, every relation between columns broken.
    synthetic = pd.DataFrame({c: other[c].to_numpy()[rng.permutation(len(other))] for c in other})
    result = evaluate(
        real.reset_index(drop=True),
        synthetic,
        holdout=holdout.reset_index(drop=True),
        target="class",
        subgroups=["sex"],
        seed=0,
    )
    path = tmp_path / "report.html"
    write_report(path, result)  # its time is in benchmarks/bench_evaluate.py, not asserted here
    assert path.stat().st_size < 1_000_000
    report = json.loads(result.to_json())
    assert expected_heatmaps(report["fidelity"]) == 2
    check_in_browser(path, report)


def test_the_guard_catches_an_outside_request(tmp_path):
    result = evaluate(frame(200, 1), frame(200, 3), attacks=False)
    path = tmp_path / "report.html"
    write_report(path, result)
    html = path.read_text()
    # The discard port on this machine; the route aborts the request before it leaves anyway.
    path.write_text(html.replace("</main>", '<img src="http://127.0.0.1:9/x.png" alt=""></main>'))
    with pytest.raises(AssertionError, match="outside resources"):
        check_in_browser(path, json.loads(result.to_json()))
