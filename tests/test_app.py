"""The teaching app: controls reach the model, and a real browser can drive the served page.

The browser test starts ``diffusion app`` as a teacher would, opens it in Debian's Chromium through
playwright (never ``playwright install``), changes a control, resets, steps, and checks that the step
counter, the period and the charts moved on.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from diffusion.app import AppModel, choice_key, draw_channels, draw_curves, draw_network, model_controls

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_controls_reach_the_model_parameters():
    model = AppModel(leadership="party reform office", fault_tolerance=0.9, feedback="双向", network="small_world",
                     mandate_weight=1.2, reward=0.5, seed=3)
    inst = model.params.institutions
    assert (inst.leadership, inst.fault_tolerance, inst.feedback) == ("reform_office", 0.9, "two_way")
    assert model.params.network.kind == "small_world"
    assert model.params.channels.mandate.weight_per_year == 1.2 and inst.incentives.reward == 0.5


def test_every_select_label_maps_back_to_a_parameter_value():
    for lang in ("en", "zh"):
        controls = model_controls(None, lang)
        for name in ("leadership", "feedback", "network"):
            for label in controls[name]["values"]:
                AppModel(**{name: label}, lang=lang)  # raises if a label does not map to a valid value
            assert choice_key(controls[name]["value"]) in {"leading_group", "one_way", "provinces"}


def test_a_bad_control_value_is_a_clear_error():
    with pytest.raises(ValueError, match="fault_tolerance"):
        AppModel(fault_tolerance=1.5)


def test_views_draw_the_running_model_in_both_languages():
    for lang in ("en", "zh"):
        model = AppModel(lang=lang)
        for _ in range(8):
            model.step()
        assert len(model.category_history) == 8
        for draw in (draw_network, draw_curves, draw_channels):
            fig = draw(model)
            assert fig.axes and fig.axes[0].get_title(loc="left")
    assert "采纳" in draw_curves(model).axes[0].get_title(loc="left")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"diffusion app exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"diffusion app did not answer at {url} within {seconds} s")


@pytest.fixture
def served_app(tmp_path):
    port = _free_port()
    diffusion = Path(sys.executable).with_name("diffusion")
    log = open(tmp_path / "app.log", "w")
    process = subprocess.Popen([str(diffusion), "app", "--port", str(port)], cwd=tmp_path, stdout=log,
                               stderr=subprocess.STDOUT, env={**os.environ, "MPLBACKEND": "Agg"},
                               start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()   # `diffusion app` stops the server it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        deadline = time.monotonic() + 10
        while serving(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = serving(port)
        if left:   # never leave a server behind, even when the test is about to fail for it
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        assert not left, f"`diffusion app` left its server running (pids {left})"


def serving(port: int) -> list[int]:
    """Processes whose command line serves the app on this port."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                words = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"solara" in b" ".join(words) and str(port).encode() in words:
                found.append(int(entry.name))
    return found


def test_browser_changes_a_control_steps_and_the_charts_follow(served_app, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), "
                    "as the README's test command does")
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(served_app)
            page.get_by_text("Step: 0").wait_for(timeout=90_000)
            charts = page.locator("img.widget-image")
            expect(charts).to_have_count(3, timeout=30_000)
            expect(page.get_by_text("Leadership model: leading group")).to_be_visible()
            before = [charts.nth(i).screenshot() for i in range(3)]

            # change a control: the leadership model, then reset so the model is rebuilt with it
            page.get_by_role("button", name="Leadership model").click()
            page.get_by_role("option", name="party reform office").click()
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("Leadership model: party reform office")).to_be_visible(timeout=30_000)

            for step in range(1, 7):
                page.get_by_role("button", name="Step").click()
                expect(page.get_by_text(f"Step: {step}")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Period: 2014Q4")).to_be_visible(timeout=30_000)

            # the charts are redrawn: each image differs from the one before stepping
            deadline = time.monotonic() + 30
            while True:
                after = [charts.nth(i).screenshot() for i in range(3)]
                if all(a != b for a, b in zip(after, before)) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert all(a != b for a, b in zip(after, before)), "a chart did not change after stepping"
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "app.png").stat().st_size > 10_000
