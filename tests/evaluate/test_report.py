"""The HTML report: its structure, escaping, self-containment and determinism (parsed, not run).

The browser checks (every section and plot visible, nothing fetched) are in test_report_browser.py.
"""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from synthdsl.evaluation import evaluate
from synthdsl.evaluation.plots import column_plot, difference_heatmap
from synthdsl.evaluation.report import num, pct, render_report, value, write_report
from tests.evaluate.frames import frame as base_frame

SECTIONS = ("summary", "fidelity", "utility", "privacy", "settings")
EVIL = "<script>alert(1)</script>"


def frame(n: int, seed: int) -> pd.DataFrame:
    return base_frame(
        n, seed, {EVIL: (("a", "b", '"quoted" & <b>bold</b>'), None), "g": (("u", "v"), (0.8, 0.2))}
    )


class Page(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with an id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if (tag is None or t == tag) and all(a.get(k) == v for k, v in attrs.items())
        ]


@pytest.fixture(scope="module")
def result():
    return evaluate(
        frame(500, 1),
        frame(500, 3),
        holdout=frame(500, 2),
        target="label",
        subgroups=["g"],
        attacks=False,
        seed=0,
    )


@pytest.fixture(scope="module")
def html(result) -> str:
    return render_report(result)


@pytest.fixture(scope="module")
def page(html) -> Page:
    return Page(html)


def test_sections_and_tables_exist(page):
    ids = [a.get("id") for _, a in page.tags]
    for section in SECTIONS:
        assert len(page.find("section", id=section)) == 1, section
    for table in (
        "fidelity-numeric",
        "fidelity-categorical",
        "fidelity-joint",
        "utility-models",
        "privacy-figures",
        "settings-rows",
        "settings-columns",
    ):
        assert table in ids
    assert page.find("table", **{"data-subgroup": "g"})
    assert ids.index("summary") < ids.index("fidelity") < ids.index("utility")
    assert ids.index("utility") < ids.index("privacy") < ids.index("settings")


def test_score_cards_show_the_scores(page, result):
    for part in ("fidelity", "utility", "privacy"):
        (card,) = page.find("div", id=f"card-{part}")
        assert card["data-score"] == f"{getattr(result, part)['score']:.3f}"


def test_one_plot_per_column_and_the_heatmaps(page, result):
    plots = page.find("figure")
    assert all("plot" in (p.get("class") or "").split() for p in plots)
    columns = [p["data-column"] for p in plots if "data-column" in p]
    assert columns == list(result.settings["columns"])  # the raw name, round-tripped
    assert [p["data-heatmap"] for p in plots if "data-heatmap" in p] == [
        "correlation",
        "cramers-v",
    ]
    assert len(page.find("svg")) == len(plots) == len(columns) + 2


def test_untrusted_names_are_escaped(html, page):
    assert EVIL not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not page.find("script") and not page.find("b")
    assert EVIL in "".join(page.text)  # shown as text


def test_self_contained(html, page):
    for tag, attrs in page.tags:
        for name, val in attrs.items():
            if name in ("src", "href", "xlink:href", "action", "poster", "srcset"):
                assert val is not None and not val.startswith(("http:", "https:", "//")), (tag, val)
                assert val.startswith(("#", "data:")), (tag, name, val)
    assert not page.find("link") and not page.find("script") and not page.find("iframe")
    assert "@import" not in html
    assert re.findall(r"url\(([^)]*)\)", html) and all(
        u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html)
    )  # only references inside the page (SVG clip paths)
    # The only web addresses are SVG namespace names, which browsers never fetch.
    without_namespaces = html.replace('"http://www.w3.org/2000/svg"', "").replace(
        '"http://www.w3.org/1999/xlink"', ""
    )
    assert "http://" not in without_namespaces and "https://" not in without_namespaces


def test_deterministic_and_renders_from_its_json(result, html, tmp_path):
    assert render_report(result) == html
    assert render_report(json.loads(result.to_json())) == html
    out = tmp_path / "report.html"
    write_report(out, result)
    assert out.read_bytes() == html.encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp left behind


def test_numbers_are_formatted(page, result):
    text = "".join(page.text)
    x = result.fidelity["columns"]["x"]
    assert f"{x['ks']:.3f}" in text
    assert f"{100 * x['missing_real']:.1f} %" in text
    rate = result.privacy["exact_match_rate"]
    assert f"{100 * rate:.1f} %" in text
    auc = result.utility["models"]["random_forest"]["tstr"]["roc_auc"]
    assert f"{auc:.3f}" in text
    assert "Test set: holdout" in text


def test_formatters():
    assert num(None) == "—" and num(float("nan")) == "—" and num(True) == "—"
    assert num(-0.0001) == "0.000" and num(-0.25) == "-0.250" and num(1) == "1.000"
    assert pct(0.1234) == "12.3 %" and pct(None) == "—" and pct(-0.00001) == "0.0 %"
    assert value(99999.0) == "99,999" and value(-3.14159) == "-3.142" and value(None) == "—"


def test_without_target_utility_is_not_measured():
    res = evaluate(frame(300, 1), frame(300, 3), attacks=False)
    page = Page(render_report(res))
    (card,) = page.find("div", id="card-utility")
    assert card["data-score"] == ""
    text = "".join(page.text)
    assert "not measured (no --target)" in text
    assert "Not measured: no target given" in text
    assert "not measured" in text  # membership inference without a holdout
    assert not page.find("table", id="utility-models")


def light(result) -> dict:
    """The result's JSON without plot data: renders in milliseconds, for privacy/settings tests."""
    data = json.loads(result.to_json())
    data["fidelity"]["columns"] = {}
    for key in ("correlation", "cramers_v"):
        for side in ("real", "synthetic"):
            data["fidelity"]["pairs"].pop(f"{key}_{side}")
    return data


ATTACKS = {
    "singling_out": {
        "risk": 0.123,
        "ci": [0.05, 0.2],
        "attack_rate": 0.3,
        "baseline_rate": 0.01,
        "control_rate": 0.2,
        "n_attacks": 500,
        "reading": "Singling out <reading>.",
    },
    "linkability": {"skipped": "needs at least two quasi-identifiers"},
    "inference": {
        "label": {
            "risk": 0.5,
            "ci": [0.4, 0.6],
            "attack_rate": 0.9,
            "baseline_rate": 0.5,
            "control_rate": 0.6,
            "reading": "Inference of label.",
        },
        EVIL: {"skipped": "no other column to infer it from"},
    },
    "settings": {"n_attacks": 500, "rows": {"real": 500}, "sampled": False},
}


def _rows(html: str, table_id: str) -> list[list[str]]:
    """The cells' text of each body row of a table (a tiny parser, enough for our markup)."""

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.inside = self.body = False
            self.rows: list[list[str]] = []

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.inside = dict(attrs).get("id") == table_id
            elif self.inside and tag == "tbody":
                self.body = True
            elif self.inside and self.body and tag == "tr":
                self.rows.append([])
            elif self.inside and self.body and tag in ("td", "th"):
                self.rows[-1].append("")

        def handle_endtag(self, tag):
            if tag == "table":
                self.inside = self.body = False

        def handle_data(self, data):
            if self.inside and self.body and self.rows and self.rows[-1]:
                self.rows[-1][-1] += data

    parser = Rows()
    parser.feed(html)
    return [[cell.strip() for cell in row] for row in parser.rows]


def test_attacks_and_differential_privacy_render(result):
    data = light(result)
    data["privacy"]["attacks"] = copy.deepcopy(ATTACKS)
    data["privacy"]["differential_privacy"] = {"epsilon": 1.5, "delta": 1e-5, "source": "card.json"}
    data["privacy"]["readings"]["differential_privacy"] = "Trained with DP."
    html = render_report(data)
    rows = _rows(html, "privacy-attacks")
    assert [r[0] for r in rows] == [
        "Singling out",
        "Linkability",
        "Inference: label",
        f"Inference: {EVIL}",
    ]
    assert rows[0][1:6] == ["12.3 %", "5.0 % – 20.0 %", "30.0 %", "20.0 %", "1.0 %"]
    assert rows[0][6] == "Singling out <reading>."
    assert rows[1][1] == "—" and "needs at least two quasi-identifiers" in rows[1][6]
    assert rows[2][1] == "50.0 %"
    assert EVIL not in html
    figures = {r[0]: r[1:] for r in _rows(html, "privacy-figures")}
    assert figures["Differential privacy"] == ["ε = 1.5, δ = 1e-05", "Trained with DP."]
    assert "1.5" in "".join(Page(html).text)


@pytest.mark.parametrize("attacks", [None, {}, {"inference": {}}, {"weird": 3}])
def test_odd_or_missing_attack_results_still_render(result, attacks):
    data = light(result)
    data["privacy"]["attacks"] = attacks
    html = render_report(data)
    assert 'id="privacy"' in html
    if attacks == {"inference": {}}:
        (row,) = _rows(html, "privacy-attacks")
        assert row[0] == "Inference" and "--sensitive" in row[-1]


def test_sampling_notes_listed(result):
    data = light(result)
    assert "Nothing was sampled" in render_report(data)
    data["settings"]["sampling"] = ["privacy attacks: 5,000 rows per table"]
    data["fidelity"]["sampled"] = True
    data["privacy"]["sampled"] = True
    data["fidelity"]["pairs"]["pairs_compared"] = 45
    data["fidelity"]["pairs"]["pairs_total"] = 66
    text = "".join(Page(render_report(data)).text)
    assert "privacy attacks: 5,000 rows per table" in text
    assert "fidelity: computed on a random sample" in text
    assert "privacy: distances to closest records" in text
    assert "45 of 66 column pairs" in text


def test_old_json_without_plot_data_still_renders(result):
    data = json.loads(result.to_json())
    for info in data["fidelity"]["columns"].values():
        info.pop("histogram", None)
        info.pop("bars", None)
    for key in ("correlation_real", "correlation_synthetic"):
        data["fidelity"]["pairs"].pop(key)
    page = Page(render_report(data))
    assert len(page.find("figure")) == len(data["fidelity"]["columns"]) + 1  # Cramér's V only
    assert "no values to plot" in "".join(page.text)


def test_bad_input():
    with pytest.raises(TypeError, match="Evaluation"):
        render_report(42)
    with pytest.raises(ValueError, match="privacy"):
        render_report({"fidelity": {}, "utility": {}, "settings": {}})


def test_svgs_are_inline_ready_and_deterministic(result):
    info = result.fidelity["columns"]["x"]
    svg = column_plot("x", info)
    assert svg == column_plot("x", info)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for absent in ("<?xml", "<!DOCTYPE", "<metadata", "<style", "<!--", "<script"):
        assert absent not in svg
    assert column_plot("x", info, key="a") != column_plot("x", info, key="b")  # ids differ
    pairs = result.fidelity["pairs"]
    one = {"columns": ["x"], "matrix": [[1.0]]}
    assert difference_heatmap(one, one, vmax=1.0, key="k") is None
    heat = difference_heatmap(
        pairs["correlation_real"], pairs["correlation_synthetic"], vmax=1.0, key="k"
    )
    assert heat.startswith("<svg")
    mathy = column_plot(
        "c",
        {
            "kind": "categorical",
            "bars": {"labels": ["$x$", "a_b"], "real": [0.5, 0.5], "synthetic": [1.0, 0.0]},
        },
    )
    assert "$x$" in mathy  # a dollar is a dollar, not math text


def test_point_mass_columns_use_a_log_axis_with_plain_labels():
    from synthdsl.evaluation.plots import column_plot, point_mass

    hist = {
        "edges": [0, 1, 2, 3, 4],
        "real": [0.9, 0.05, 0.03, 0.02],
        "synthetic": [0.88, 0.06, 0.04, 0.02],
    }
    assert point_mass(hist) and not point_mass(
        {**hist, "real": [0.3, 0.3, 0.2, 0.2]} | {"synthetic": [0.25] * 4}
    )
    svg = column_plot("gain", {"kind": "numeric", "histogram": hist})
    assert "share (log scale)" in svg and "mathdefault" not in svg and "100%" in svg
