"""The shipped sampled experiment end to end on a small sample: runs, report, and the report
page in headless Chromium at a laptop's width (1366 x 768): it answers first, fits the width,
and shows every figure. A screenshot is kept in test-artifacts/report-page.png.

The browser part needs playwright and Chromium (`.ci/run` installs Debian's); without them
it is skipped with a message saying what is missing.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from helpers import ROOT

from sim.batch import run_batch
from sim.cli import main
from sim.experiment import load_experiment, plan
from sim.plots import standard_figures
from sim.report import render
from sim.resultset import load

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of experiments/uncertain_world.yaml, on 12 design points x 2 replications
    of two years."""
    experiment = load_experiment(ROOT / "experiments" / "uncertain_world.yaml")
    small = experiment.model_copy(
        update={
            "replications": 2,
            "steps": 24,
            "design": experiment.design.model_copy(update={"samples": 12}),
        }
    )
    folder = tmp_path_factory.mktemp("uw") / "results"
    outcome = run_batch(plan(small), folder, workers=1, progress=False)
    assert outcome.failed == 0 and len(outcome.runs) == 2 * 12 * 2
    rs = load(folder)
    figures, notes = standard_figures(rs)
    path = folder / "report.html"
    path.write_text(render(rs, figures, notes), encoding="utf-8")
    return rs, figures, path


def test_the_sampled_experiment_reports_its_inputs(report):
    rs, figures, path = report
    assert len(rs.sampled_keys) == 7 and rs.settings == ["non_intervention",
                                                          "collective_commitment"]  # fmt: skip
    assert {f"inputs-{m}" for m in rs.key_metrics} <= set(figures)
    page = path.read_text(encoding="utf-8")
    assert "24 runs each (12 design points over 7 sampled parameters)" in page
    # the key metrics' figures sit with the findings, before the other figures
    assert page.index('id="inputs-total_cost_pct_gdp_per_year"') < page.index('id="figures"')


def test_discovery_finds_where_non_intervention_costs_less(report, capsys):
    pytest.importorskip("ema_workbench", reason="needs the discovery extra")
    rs, _, path = report
    outcome = ("total_cost_pct_gdp_per_year[non_intervention] < "
               "total_cost_pct_gdp_per_year[collective_commitment]")  # fmt: skip
    assert main(["discover", str(path.parent), "--outcome", outcome, "--threshold", "0.6"]) == 0
    out = capsys.readouterr().out
    assert "24 cases" in out and "Box 1" in out
    boxes = pd.read_csv(path.parent / "discovery" / "boxes.csv")
    assert set(boxes["dimension"]) <= set(rs.sampled_keys) and len(boxes)
    assert (path.parent / "discovery" / "tradeoff.png").exists()


def test_the_report_page_answers_first_and_fits_a_laptop_screen(report):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(n)), None)  # fmt: skip
    if chromium is None:
        pytest.skip("no Chromium found: install it (Debian: apt-get install chromium)")
    _, figures, path = report
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no side scroll
        findings = page.locator("#findings").bounding_box()
        assert findings is not None and findings["y"] < 768  # the answer on the first screen
        images = page.locator("img")
        assert images.count() == len(figures)
        assert page.evaluate(
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
        widths = page.evaluate("Array.from(document.images).map(i => i.clientWidth)")
        assert max(widths) <= 1366
        assert page.locator("details").count() >= 2  # the full tables, folded
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-page.png"))
        page.screenshot(path=str(ARTIFACTS / "report-page-full.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "report-page.png").stat().st_size > 10_000
