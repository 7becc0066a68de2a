"""The teaching app: its settings reach the model, its server is safe and stops, and a class can use the page.

The browser tests start ``diffusion app`` as a teacher would, with the network blocked (proxies on a
closed port, every connection the server attempts recorded), open it in Debian's Chromium through
playwright (never ``playwright install``), and use it: change a setting, apply, step, play, compare.
Screenshots at 1366x768 and 1920x1080 go to the test's folder and to /tmp/app-shots/. Every process a
test starts must be gone when it ends (``no_stray_processes`` in conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from diffusion.app import (CONTROLS, LEVERS, AppModel, LocalOnly, Run, alternative, check_host, choice_label,
                           control_choices, draw_channels, draw_comparison, draw_curves, draw_difference, draw_map,
                           scenario_settings)
from diffusion.i18n import LABELS
from diffusion.params import with_changes

pytestmark = pytest.mark.usefixtures("no_stray_processes")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path("/tmp/app-shots")
VIEWPORTS = ((1366, 768), (1920, 1080))
DIFFUSION = str(Path(sys.executable).with_name("diffusion"))


# ------------------------------------------------------------------------------------------ settings
def test_settings_reach_the_model_parameters():
    model = AppModel(leadership="reform_office", fault_tolerance=0.9, feedback="two_way", network="small_world",
                     mandate_weight=1.2, reward=0.5, mandate=False, seed=3)
    inst = model.params.institutions
    assert (inst.leadership, inst.fault_tolerance, inst.feedback) == ("reform_office", 0.9, "two_way")
    assert model.params.network.kind == "small_world" and model.seed == 3
    assert model.params.channels.mandate.weight_per_year == 1.2 and inst.incentives.reward == 0.5
    assert model.params.channels.mandate.enabled is False


def test_the_controls_start_at_the_scenario_values():
    settings = scenario_settings("fault-tolerance-high")
    params = AppModel("fault-tolerance-high").params
    assert settings["fault_tolerance"] == params.institutions.fault_tolerance
    assert settings["network"] == params.network.kind and settings["seed"] == 0
    assert set(settings) == {control.name for control in CONTROLS}


def test_every_choice_is_a_valid_parameter_with_words_in_both_languages():
    settings = scenario_settings()
    params = AppModel().params
    for control in CONTROLS:
        assert control.label in LABELS, control.label
        for value in control_choices(control, settings):
            with_changes(params, {control.path: value})   # raises if the choice is not a value of the parameter
            assert f"app_choice_{value}" in LABELS and re.search("[\u4e00-\u9fff]", choice_label(value, "zh"))
    for key, (en, zh) in LABELS.items():
        if key.startswith("app_"):
            assert en and zh and not re.search("[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", zh)), key


def test_a_bad_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="fault_tolerance"):
        AppModel(fault_tolerance=1.5)
    with pytest.raises(ValueError, match="no app setting named fault_tolerence"):
        AppModel(fault_tolerence=0.5)


def test_a_what_if_changes_the_lever_visibly():
    settings = scenario_settings()
    for lever in LEVERS:
        assert alternative(lever, settings) != settings[lever], lever


def test_a_what_if_twin_shares_the_random_numbers():
    """Same seed and replicate: a 'change' to the current value gives the same run, decision for decision."""
    settings = scenario_settings("teaching-small-world")
    run = Run("teaching-small-world", "en", settings, ("fault_tolerance", settings["fault_tolerance"]))
    for _ in range(6):
        run.step()
    assert (run.current.adopted == run.changed.adopted).all() and run.current.adopted.any()
    changed = Run("teaching-small-world", "en", settings, ("mandate", False))
    assert changed.changed.key == changed.current.key


def test_views_draw_the_running_model_in_both_languages():
    for lang in ("en", "zh"):
        run = Run(None, lang, scenario_settings(), ("mandate", False))
        for _ in range(6):
            run.step()
        figures = [draw_map(run.current), draw_curves(run.current, "trade"), draw_channels(run.current),
                   draw_comparison(run.current, run.changed, "mandate off"), draw_difference(run.current, run.changed)]
        for fig in figures:
            title = fig.axes[0].get_title(loc="left")
            assert title and (lang == "en" or re.search("[\u4e00-\u9fff]", title)), title
    synthetic = AppModel("teaching-small-world", "zh")
    synthetic.step()
    assert draw_map(synthetic).axes   # a network without real places is drawn at its layout


# ------------------------------------------------------------------------------------------ safety
def test_only_this_servers_own_addresses_are_answered():
    local = LocalOnly(None, "127.0.0.1", 8765)
    assert all(local.allowed(h) for h in ("127.0.0.1:8765", "localhost:8765", "LOCALHOST:8765", "[::1]:8765"))
    assert not any(local.allowed(h) for h in ("evil.example:8765", "127.0.0.1:80", "127.0.0.1", "",
                                              "192.168.1.20:8765", "localhost.evil.example:8765"))
    classroom = LocalOnly(None, "0.0.0.0", 8765)
    assert classroom.allowed("192.168.1.20:8765") and classroom.allowed("localhost:8765")
    assert not classroom.allowed("teacher.evil.example:8765")   # a name could be rebound, an address cannot


def test_the_host_must_be_an_ip_address():
    assert check_host("0.0.0.0") == "0.0.0.0"
    with pytest.raises(ValueError, match="IP address"):
        check_host("my-laptop.local")


def test_a_classroom_host_is_served_with_a_warning(monkeypatch):
    from click.testing import CliRunner

    import diffusion.app
    from diffusion.cli import main

    served = []
    monkeypatch.setattr(diffusion.app, "serve", lambda *args, **kwargs: served.append(kwargs) or 0)
    result = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", "--port", str(_free_port()), "--lang", "zh"])
    assert result.exit_code == 0 and "warning: serving on 0.0.0.0" in result.output
    assert served[0]["host"] == "0.0.0.0" and served[0]["lang"] == "zh"
    local = CliRunner().invoke(main, ["app", "--port", str(_free_port())])
    assert local.exit_code == 0 and "warning" not in local.output and served[1]["host"] == "127.0.0.1"
    named = CliRunner().invoke(main, ["app", "--host", "my-laptop.local"])
    assert named.exit_code == 2 and "IP address" in named.output


# ------------------------------------------------------------------------------------------ serving
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_served(port: int, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"diffusion app exited with status {process.returncode}:\n{log.read_text()}")
        if _answers(port):
            return
        time.sleep(0.3)
    raise AssertionError(f"diffusion app did not answer on port {port} within {seconds} s:\n{log.read_text()}")


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


SITECUSTOMIZE = '''
import os, sys
_log = os.environ.get("FTZ_TEST_CONNECT_LOG")
if _log:
    def _record(event, args):   # every connection the process attempts, and every name it looks up
        if event == "socket.connect":
            line = f"connect {args[1]!r}"
        elif event == "socket.getaddrinfo" and args[0] not in (None, "localhost", "127.0.0.1", "::1",
                                                                 b"localhost", b"127.0.0.1"):
            line = f"lookup {args[0]!r}"
        else:
            return
        with open(_log, "a") as out:
            out.write(line + "\\n")
    sys.addaudithook(_record)
'''


@pytest.fixture
def serve_app(tmp_path):
    """Start ``diffusion app`` with the network blocked; returns (url, connection log); stops it after."""
    started: list[subprocess.Popen] = []

    def start(*options: str) -> tuple[str, Path]:
        port, closed = _free_port(), _free_port()
        hooks = tmp_path / f"hooks-{port}"
        hooks.mkdir()
        (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
        connections, log = tmp_path / f"connections-{port}.log", tmp_path / f"app-{port}.log"
        proxy = f"http://127.0.0.1:{closed}"   # nothing listens there: any request through it fails at once
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(hooks), "FTZ_TEST_CONNECT_LOG": str(connections),
               **{name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                           "all_proxy")}, "NO_PROXY": "", "no_proxy": ""}
        process = subprocess.Popen([DIFFUSION, "app", "--port", str(port), *options], cwd=tmp_path, env=env,
                                   stdout=log.open("w"), stderr=subprocess.STDOUT)
        started.append(process)
        _wait_until_served(port, process, log)
        return f"http://127.0.0.1:{port}/", connections

    yield start
    for process in started:
        _stop(process)


def _raw(port: int, request: str) -> str:
    """Send a raw HTTP request; return the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request.replace("\n", "\r\n").encode())
        return conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def _handshake(port: int, origin: str) -> str:
    return _raw(port, f"GET /jupyter/api/kernels/test-kernel/channels?session_id=test HTTP/1.1\n"
                      f"Host: 127.0.0.1:{port}\nUpgrade: websocket\nConnection: Upgrade\n"
                      f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\nOrigin: {origin}\n\n")


# ------------------------------------------------------------------------------------------ the browser
@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium fonts-noto-cjk), "
                    "as the README's test command does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, url: str, width: int, height: int, outside: list[str]):
    """A page of the app at a viewport size; requests to anywhere but the app are refused and recorded."""
    context = browser.new_context(viewport={"width": width, "height": height})

    def route(request):
        if request.request.url.startswith(url) or request.request.url.startswith(("data:", "blob:")):
            request.continue_()
        else:
            outside.append(request.request.url)
            request.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(url)
    page.locator("img.ftz-map-panel").first.wait_for(timeout=60_000)
    return page


def _shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    return path


def _assert_panels_fit(page, width: int, height: int, maps: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator("img.ftz-map-panel")).to_have_count(maps, timeout=30_000)
    for panel in page.locator("img.ftz-panel").all():
        box = panel.bounding_box()
        assert box and box["width"] > 200, box
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5 \
            and box["y"] + box["height"] <= height + 0.5, f"a panel lies outside the {width}x{height} viewport: {box}"


def _shots(page, tmp_path: Path, name: str, maps: int) -> None:
    """At each viewport size: every panel inside the viewport, and a screenshot."""
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        _assert_panels_fit(page, width, height, maps)
        _shot(page, tmp_path, f"{name}-{width}x{height}")
    page.set_viewport_size({"width": VIEWPORTS[0][0], "height": VIEWPORTS[0][1]})


def _step(page, times: int, status: str) -> None:
    from playwright.sync_api import expect

    for _ in range(times):
        page.locator(".ftz-step").click()
    expect(page.locator(".ftz-status")).to_contain_text(status, timeout=30_000)


def test_a_class_can_use_the_app(serve_app, browser, tmp_path):
    """English: values on every control, Apply with a notice, step, play, what-if; safe; nothing leaves."""
    from playwright.sync_api import expect

    url, connections = serve_app()
    port = int(url.rsplit(":", 1)[1].strip("/"))
    # refused: another Host (DNS rebinding) and a WebSocket from another origin; answered: its own
    assert " 400 " in _raw(port, f"GET / HTTP/1.1\nHost: evil.example:{port}\nConnection: close\n\n") + " "
    assert " 200 " in _raw(port, f"GET / HTTP/1.1\nHost: localhost:{port}\nConnection: close\n\n") + " "
    assert " 403 " in _handshake(port, "http://evil.example") + " "
    assert " 101 " in _handshake(port, f"http://127.0.0.1:{port}") + " "

    outside: list[str] = []
    page = _open(browser, url, 1366, 768, outside)
    body = page.locator("body")
    for internal in ("PAGE 0", "Use Threads", "Solara", "Mesa"):
        expect(body).not_to_contain_text(internal)
    settings = scenario_settings()
    for control in CONTROLS:   # every control shows its value
        value = control.text(settings[control.name], "en")
        expect(page.locator(f".ftz-control-{control.name}")).to_contain_text(value)

    # a changed setting is pending, and says so, until Apply restarts the run with it
    thumb = page.locator(".ftz-control-fault_tolerance [role=slider]")
    thumb.focus()
    thumb.press("ArrowRight")
    thumb.press("ArrowRight")
    expect(page.locator(".ftz-control-fault_tolerance")).to_contain_text("0.40")
    expect(page.locator(".ftz-notice-pending")).to_contain_text("Not applied yet: Fault tolerance = 0.40")
    _step(page, 1, "Step 1 of 48")
    page.locator(".ftz-apply").click()
    expect(page.locator(".ftz-notice-restarted")).to_contain_text("restarted at 2013Q3: Fault tolerance = 0.40")
    expect(page.locator(".ftz-status")).to_contain_text("Step 0 of 48")
    before = page.locator("img.ftz-map-panel").screenshot()
    _step(page, 4, "Step 4 of 48 · 2014Q2")
    page.get_by_role("button", name="Play").click()
    expect(page.locator(".ftz-status")).not_to_contain_text("Step 4 of", timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    assert int(re.search(r"Step (\d+)", page.locator(".ftz-status").inner_text()).group(1)) > 4
    assert page.locator("img.ftz-map-panel").screenshot() != before, "the map did not change as the model ran"
    _shots(page, tmp_path, "app-en", maps=1)

    # what-if: the current settings and the central mandate switched off, side by side
    page.locator(".ftz-control-compare label").click()
    expect(page.locator(".ftz-notice-pending")).to_contain_text("compared with Central mandate (batches) = off")
    page.locator(".ftz-apply").click()
    expect(page.locator(".ftz-run-changed")).to_contain_text("Central mandate (batches) = off")
    expect(page.locator("body")).to_contain_text("same random numbers")
    _step(page, 3, "Step 3 of 48")
    _shots(page, tmp_path, "app-en-whatif", maps=2)

    assert not outside, f"the page asked for something outside the app: {outside}"
    attempts = connections.read_text() if connections.exists() else ""
    assert not attempts, f"the server tried to reach the network:\n{attempts}"


def test_chinese_is_chinese_and_fits(serve_app, browser, tmp_path):
    from playwright.sync_api import expect

    url, connections = serve_app("--lang", "zh")
    outside: list[str] = []
    page = _open(browser, url, 1366, 768, outside)
    expect(page).to_have_title("自贸试验区制度创新扩散")
    _step(page, 2, "第2期 / 共48期")
    page.locator(".ftz-control-compare label").click()
    page.locator(".ftz-control-lever .v-select__slot").click()
    page.get_by_role("option", name="领导体制").click()
    expect(page.locator(".ftz-notice-pending")).to_contain_text("尚未应用")
    text = page.locator("body").inner_text()
    english = re.findall(r"[A-Za-z]{2,}", re.sub(r"\d{4}Q\d", "", text))
    assert not english, f"English words on the Chinese page: {sorted(set(english))}"
    _shots(page, tmp_path, "app-zh", maps=1)
    page.locator(".ftz-apply").click()
    expect(page.locator(".ftz-notice-restarted")).to_contain_text("已从2013Q3重新开始运行:对比:领导体制 = 联席会议")
    _step(page, 3, "第3期")
    english = re.findall(r"[A-Za-z]{2,}", re.sub(r"\d{4}Q\d", "", page.locator("body").inner_text()))
    assert not english, f"English words on the Chinese page: {sorted(set(english))}"
    _shots(page, tmp_path, "app-zh-whatif", maps=2)
    assert not outside and not (connections.exists() and connections.read_text())


# ------------------------------------------------------------------------------------------ stopping
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "parent killed"])
def test_the_server_stops_with_the_app(how, tmp_path):
    """SIGTERM, Ctrl+C (SIGINT) and the death of its parent each stop the server: the port closes, no
    process is left, and the port can be served again at once."""
    port = _free_port()
    log = tmp_path / "app.log"
    command = [DIFFUSION, "app", "--port", str(port)]
    if how == "parent killed":   # a wrapper stands in for a terminal or a test runner that is killed
        command = [sys.executable, "-c", "import subprocess, sys; subprocess.call(sys.argv[1:])", *command]
    wrapper = subprocess.Popen(command, cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               env={**os.environ, "MPLBACKEND": "Agg"})
    try:
        _wait_until_served(port, wrapper, log)
        if how == "parent killed":
            (app,) = _children(wrapper.pid)
            wrapper.kill()
            wrapper.wait()
        else:
            app = wrapper.pid
            wrapper.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGINT)
        deadline = time.monotonic() + 10
        while (_running(app) or _listening(port)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(app), f"`diffusion app` is still running {how}:\n{log.read_text()}"
        assert not _listening(port), f"port {port} still answers after {how}"
        if how != "parent killed":
            assert wrapper.wait(timeout=5) in (-signal.SIGTERM, 130), log.read_text()
    finally:
        _stop(wrapper)
    if how == "SIGTERM":   # once is enough: the port is free for the next class at once
        again = subprocess.Popen([DIFFUSION, "app", "--port", str(port)], cwd=tmp_path, stdout=log.open("a"),
                                 stderr=subprocess.STDOUT, env={**os.environ, "MPLBACKEND": "Agg"})
        try:
            _wait_until_served(port, again, log)
        finally:
            _stop(again)
