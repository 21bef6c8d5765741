"""The widgets in a real browser: JupyterLab serving chapters 02b, 03a and 05a, driven in headless Chromium.

Debian's chromium is used through Playwright's ``executable_path``; no browser is downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import asyncomm as ac

from .conftest import require_program

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def jupyterlab(tmp_path):
    """A JupyterLab server on a free loopback port with a token, serving a copy of the course."""
    yield from _serve_course(tmp_path)


@pytest.fixture()
def jupyterlab_dark(tmp_path):
    """The same, in JupyterLab's dark theme: the user settings (a folder of this test's own) choose it."""
    themes = tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    themes.parent.mkdir(parents=True)
    themes.write_text(json.dumps({"theme": "JupyterLab Dark"}))
    yield from _serve_course(tmp_path, {"JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings")})


def _serve_course(tmp_path, env: dict[str, str] | None = None):
    course = tmp_path / "course"
    ac.course.copy_course(course)
    port, token = _free_port(), "asyncomm-test-token"
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={course}",
            "--allow-root",
            "--LabApp.news_url=",
            "--ServerApp.disable_check_xsrf=False",
            # A workspace of its own: otherwise JupyterLab reopens the notebooks of the previous test's session.
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("JupyterLab exited: " + (tmp_path / "jupyterlab.log").read_text()) from None
                time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not start within 60 s")
        yield base, token, tmp_path
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _accept_kernel_dialog(page) -> None:
    """JupyterLab may ask which kernel to start; the notebook's own (Python 3) is preselected."""
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(timeout=5_000)
    except Exception:  # no dialog: the kernel started by itself
        return
    dialog.locator("button.jp-mod-accept").click()


@contextlib.contextmanager
def _chapter_run_in_chromium(jupyterlab, chapter: str):
    """Open ``chapter`` in headless Chromium, run all its cells, yield the page; screenshot it on failure."""
    chromium = require_program("chromium", "install it with: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    base, token, tmp_path = jupyterlab
    screenshot = tmp_path / "browser-failure.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{base}/lab/tree/{chapter}?token={token}")
            page.locator(".jp-Notebook").first.wait_for()
            _accept_kernel_dialog(page)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            yield page
        except Exception:
            page.screenshot(path=str(screenshot), full_page=True)
            print(f"screenshot of the failure: {screenshot}")
            raise
        finally:
            browser.close()


def test_chapter_02_widgets_respond_to_clicks_in_a_real_browser(jupyterlab):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab, "02b-three-patterns.ipynb") as page:
        queue = page.locator(".ac-queue-widget").first
        queue.scroll_into_view_if_needed()
        expect(queue).to_be_visible()
        queue.locator(".ac-queue-message input").fill("browser-msg")
        send = queue.locator("button.ac-queue-send")
        send.click()
        send.click()
        queue.locator("button.ac-queue-receive").click()
        items = queue.locator(".ac-boxes .ac-item")
        expect(items).to_have_count(1)
        expect(items.first).to_have_text("'browser-msg'")
        expect(queue.locator(".ac-status")).to_have_text("✓ received 'browser-msg'")
        expect(queue.locator(".ac-log tr")).to_have_count(4)  # header + send, send, receive
        queue.locator("button.ac-queue-widget-back").click()  # undo the receive: both messages are back
        expect(items).to_have_count(2)
        queue.locator("button.ac-queue-widget-forward").click()
        expect(items).to_have_count(1)

        bus = page.locator(".ac-bus-widget").first
        bus.scroll_into_view_if_needed()
        bus.locator("button.ac-bus-register").click()
        expect(bus.locator(".ac-listeners")).to_contain_text("log")
        bus.locator("button.ac-bus-trigger").click()
        expect(bus.locator(".ac-calls")).to_contain_text("logged 'tea'")
        expect(bus.locator(".ac-status")).to_have_text("✓ triggered 'order': 1 listener(s) ran")

        calls = page.locator(".ac-callback-widget").first
        calls.scroll_into_view_if_needed()
        calls.locator("button.ac-callback-register").click()
        calls.locator("button.ac-callback-start").click()
        calls.locator("button.ac-callback-advance").click()
        expect(calls.locator(".ac-status")).to_have_text("✓ t=2: download done; 1 on_done callback(s) ran")
        expect(calls.locator(".ac-fired")).to_contain_text("show")


def test_chapter_03a_event_loop_stepper_steps_forward_and_back_in_a_real_browser(jupyterlab):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab, "03a-mechanisms.ipynb") as page:
        loop = page.locator(".ac-loop-widget").first
        loop.scroll_into_view_if_needed()
        step = loop.locator(".ac-loop b").first
        expect(step).to_have_text("step 0")
        forward = loop.locator("button.ac-loop-widget-forward")
        forward.click()
        forward.click()
        expect(step).to_have_text("step 2")
        expect(loop.locator(".ac-tasks")).to_contain_text("producer")
        # The listing marks the line the task that just ran (the producer, after main and consumer-1) paused at.
        expect(loop.locator(".ac-listing tr.ac-current")).to_have_count(1)
        loop.locator("button.ac-loop-widget-back").click()
        expect(step).to_have_text("step 1")
        current = loop.locator(".ac-listing tr.ac-current")
        expect(current.locator(".ac-lineno")).to_have_text("19")  # main awaits the producer on line 19
        expect(current.locator(".ac-mark")).to_have_text("▶")
        expect(loop.locator(".ac-tasks tr.ac-actor td").nth(3)).to_have_text("19")  # the table says 19 too
        loop.locator("button.ac-loop-end").click()
        expect(forward).to_be_disabled()


def test_chapter_05a_queueing_lab_follows_its_slider_in_a_real_browser(jupyterlab):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab, "05a-bottlenecks-and-backpressure.ipynb") as page:
        lab = page.locator(".ac-qlab").first
        lab.scroll_into_view_if_needed()
        summary = lab.locator(".ac-qlab-summary-pane")
        expect(summary).to_contain_text("model M/M/1")
        # Move the consumers slider from 1 to 2 the way a keyboard user does: focus its handle, press the right arrow.
        lab.locator(".ac-qlab-consumers .noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        expect(summary).to_contain_text("model M/M/2 (Erlang C)")
        expect(lab.locator(".ac-qlab-plot")).to_be_visible()


# -- dark theme: every text of every widget against its background ------------------------------------------

#: For each element of ``root`` that shows text (its own text nodes, or an input's value), the WCAG contrast
#: ratio between its computed colour and the colour behind it: the first non-transparent background up its
#: ancestors, with semi-transparent ones laid over it (and the text colour's own alpha laid over that).
#: Disabled controls are left out, as WCAG leaves out inactive components.
_CONTRAST_JS = """
(root) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const found = [];
  for (const el of root.querySelectorAll("*")) {
    const input = el.matches("input:not([type=checkbox]):not([type=range]), select, textarea");
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own && !input) continue;
    if (el.closest("[disabled], .mod-disabled, style, script")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || !el.getClientRects().length) continue;
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    found.push({
      text: (input ? el.value : el.textContent).trim().slice(0, 40),
      ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
      color: style.color,
      background: "rgb(" + bg.slice(0, 3).map(Math.round).join(", ") + ")",
    });
  }
  return found;
}
"""


def _low_contrast(page, widget: str) -> tuple[int, list[dict]]:
    """How many texts the widgets ``widget`` (a CSS selector) show, and those below 4.5:1."""
    texts = []
    for handle in page.locator(widget).element_handles():
        texts += handle.evaluate(_CONTRAST_JS)
    return len(texts), [t for t in texts if t["ratio"] < 4.5]


def _in_dark_theme(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")  # really the dark theme


def _assert_reads_well(page, widget: str, *, texts_at_least: int) -> None:
    """Every text of ``widget`` (at least ``texts_at_least`` of them) has WCAG contrast >= 4.5:1."""
    count, low = _low_contrast(page, widget)
    assert count >= texts_at_least, f"{widget}: only {count} texts found"
    assert not low, f"{widget}: text below 4.5:1 in the dark theme: {low}"


def test_the_queue_bus_and_callback_steppers_read_well_in_the_dark_theme(jupyterlab_dark):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab_dark, "02b-three-patterns.ipynb") as page:
        _in_dark_theme(page)
        queue = page.locator(".ac-queue-widget").first
        queue.scroll_into_view_if_needed()
        queue.locator("button.ac-queue-receive").click()  # a refusal
        # The kernel answers clicks once Run All has run every cell: allow it that long.
        expect(queue.locator(".ac-status.ac-refused")).to_be_visible(timeout=60_000)
        queue.locator("button.ac-queue-send").click()  # a success, a message box and free boxes
        bus = page.locator(".ac-bus-widget").first
        bus.scroll_into_view_if_needed()
        bus.locator(".ac-bus-listener select").select_option("fails")
        bus.locator("button.ac-bus-register").click()
        bus.locator("button.ac-bus-trigger").click()  # a failure
        expect(bus.locator(".ac-status.ac-fail")).to_be_visible()
        calls = page.locator(".ac-callback-widget").first
        calls.scroll_into_view_if_needed()
        calls.locator("button.ac-callback-advance").click()
        expect(calls.locator(".ac-status.ac-refused")).to_be_visible()
        for widget in (".ac-queue-widget", ".ac-bus-widget", ".ac-callback-widget"):
            _assert_reads_well(page, widget, texts_at_least=10)


def test_the_loop_stepper_reads_well_in_the_dark_theme(jupyterlab_dark):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab_dark, "03a-mechanisms.ipynb") as page:
        _in_dark_theme(page)
        loop = page.locator(".ac-loop-widget").first
        loop.scroll_into_view_if_needed()
        loop.locator("button.ac-loop-widget-forward").click()
        # The highlighted line is checked too (once Run All has run every cell and the kernel hears the click).
        expect(loop.locator(".ac-listing tr.ac-current")).to_have_count(1, timeout=60_000)
        _assert_reads_well(page, ".ac-loop-widget", texts_at_least=20)


def test_the_queueing_lab_reads_well_in_the_dark_theme(jupyterlab_dark):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab_dark, "05a-bottlenecks-and-backpressure.ipynb") as page:
        _in_dark_theme(page)
        lab = page.locator(".ac-qlab").first
        lab.scroll_into_view_if_needed()
        expect(lab.locator(".ac-qlab-summary-pane")).to_contain_text("M/M/1")
        _assert_reads_well(page, ".ac-qlab", texts_at_least=5)
