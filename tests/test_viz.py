"""The browser view, driven in a real headless browser: the page shows the scenario, a step
reaches the figures and the event feed, and a control change reaches the model.

Needs the viz extra and Chromium (`.ci/run` installs Debian's); without them the test is
skipped with a message saying what is missing. A screenshot of the page is kept in
test-artifacts/viz-page.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import ROOT, SCENARIOS

pytest.importorskip("solara", reason="the viz extra is not installed: pip install '.[viz]'")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ARTIFACTS = ROOT / "test-artifacts"


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium found: install it (Debian: apt-get install chromium) to run this")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "CDSIM_SCENARIO": str(SCENARIOS / "teaching.yaml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "sim.viz", "--port", str(port), "--host",
         "127.0.0.1", "--no-open", "--production"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the solara server stopped:\n{proc.stdout.read()}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the solara server did not answer within 90 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_the_page_steps_the_model_and_controls_reach_it(server):
    chromium = _browser()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server)
        page.get_by_text("month 0:").wait_for(timeout=60_000)
        assert page.get_by_text("policies: committed_ally, free_rider").count() == 1
        figures = page.locator("img")
        assert figures.count() >= 4  # the network and three plots
        before = [figures.nth(i).get_attribute("src") for i in range(figures.count())]
        for _ in range(3):
            page.get_by_role("button", name="Step", exact=True).click()
        page.get_by_text("month 3:").wait_for(timeout=30_000)
        after = [figures.nth(i).get_attribute("src") for i in range(figures.count())]
        assert all(a != b for a, b in zip(after, before, strict=True))  # every figure redrawn
        assert page.locator("table").last.locator("tr").count() > 1  # events in the feed

        page.get_by_role("button", name="▶", exact=True).click()  # run at the chosen speed
        page.get_by_text("month 8:").wait_for(timeout=30_000)
        page.get_by_role("button", name="❚❚", exact=True).click()

        page.locator(".v-select", has_text="Policy of every member").click()
        page.locator(".v-menu__content .v-list-item", has_text="free_rider").first.click()
        page.get_by_role("button", name="Reset", exact=True).click()
        page.get_by_text("policies: free_rider").wait_for(timeout=30_000)
        page.get_by_text("month 0:").wait_for(timeout=30_000)
        for _ in range(6):
            page.get_by_role("button", name="Step", exact=True).click()
        page.get_by_text("month 6:").wait_for(timeout=30_000)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "viz-page.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "viz-page.png").stat().st_size > 10_000


def test_controls_become_scenario_overrides_and_bad_ones_are_reported():
    from sim.viz import KEEP, ViewModel, latest_events, network_figure

    model = ViewModel(str(SCENARIOS / "teaching.yaml"), preset="collective_commitment",
                      intelligence_sharing="none", policy="reciprocal",
                      member_policies="Corvina=free_rider", threat_rates=2.0, seed=4)  # fmt: skip
    assert model.control_error == ""
    assert model.config.rules.preset == "collective_commitment"
    assert model.config.rules.intelligence_sharing == "none"
    policies = {m.name: m.policy.name for m in model.config.members}
    assert policies["Corvina"] == "free_rider" and policies["Aurelia"] == "reciprocal"
    plain = ViewModel(str(SCENARIOS / "teaching.yaml"), seed=4)
    assert model.config.threats["aggression"].rate == 2 * plain.config.threats["aggression"].rate
    for _ in range(6):
        model.step()
    assert latest_events(model) and latest_events(model)[0]["month"] == 6
    title = network_figure(model).axes[0].get_title()
    assert title.startswith("Month 6:")
    broken = ViewModel(str(SCENARIOS / "teaching.yaml"), member_policies="Corvina=nobody")
    assert "unknown policy 'nobody'" in broken.control_error
    assert broken.config.rules.preset == plain.config.rules.preset  # the file, unchanged
    assert KEEP in str(ViewModel.__init__.__defaults__)


def test_view_command_checks_the_scenario_first(tmp_path, capsys):
    from sim.cli import main

    assert main(["view", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_the_view_shows_the_rule_in_force_and_the_groups_history():
    from sim.viz import ViewModel, history

    model = ViewModel(str(SCENARIOS / "asean_way.yaml"), amendment="majority", seed=2)
    assert model.config.amendment is not None and model.config.amendment.vote == "majority"
    assert ViewModel(str(SCENARIOS / "asean_way.yaml"), amendment="none").config.amendment is None
    for _ in range(60):
        model.step()
    lines = history(model)
    amended = [line for line in lines if ": amended" in line]
    assert amended and model.rule.preset != "non_intervention"  # it moved, and says so
    assert model.datacollector.model_vars["rule_level"][-1] > 0
