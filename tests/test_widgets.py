"""Widgets render their model and forward clicks (no browser here; see test_browser.py)."""

from __future__ import annotations

import re

import ipywidgets as w
import pytest

import asyncomm as ac
from asyncomm.widgets import bus_widget, callback_widget, loop_widget, queue_widget


def _buttons(widget):
    found = {}

    def walk(w):
        for cls in getattr(w, "_dom_classes", ()):
            found[cls] = w
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return found


def test_queue_widget_send_receive_back_forward():
    widget = queue_widget(maxsize=2)
    ui = _buttons(widget)
    ui["ac-queue-message"].value = "ping"
    ui["ac-queue-send"].click()
    ui["ac-queue-send"].click()
    assert widget.pane.value.count('class="ac-box ac-item"') == 2
    assert "2 of 2 messages — full: a send is refused" in widget.pane.value
    ui["ac-queue-send"].click()
    assert "refused: queue &#x27;q&#x27; is full" in widget.pane.value
    ui["ac-queue-receive"].click()
    assert widget.pane.value.count('class="ac-box ac-item"') == 1
    ui["ac-queue-widget-back"].click()
    assert widget.pane.value.count('class="ac-box ac-item"') == 2
    assert not widget.forward_button.disabled
    ui["ac-queue-widget-forward"].click()
    assert widget.pane.value.count('class="ac-box ac-item"') == 1 and widget.forward_button.disabled


def test_bus_widget_register_trigger_remove():
    widget = bus_widget()
    ui = _buttons(widget)
    ui["ac-bus-register"].click()
    ui["ac-bus-listener"].value = "fails"
    ui["ac-bus-register"].click()
    ui["ac-bus-trigger"].click()
    assert "<td>order</td><td>log, fails</td>" in widget.pane.value
    assert "logged &#x27;tea&#x27;" in widget.pane.value and "raised ValueError" in widget.pane.value
    assert "ac-status ac-fail" in widget.pane.value and "⚠ triggered" in widget.pane.value
    ui["ac-bus-remove"].click()
    assert "<td>order</td><td>log</td>" in widget.pane.value


def test_callback_widget_job_lifecycle():
    widget = callback_widget()
    ui = _buttons(widget)
    ui["ac-callback-register"].click()
    ui["ac-callback-start"].click()
    ui["ac-callback-advance"].click()
    assert "t=2: download done; 1 on_done callback(s) ran" in widget.pane.value
    assert "shows &#x27;download result&#x27;" in widget.pane.value


def test_loop_widget_steps_and_shows_paused_lines():
    widget = loop_widget("three sleepers")
    ui = _buttons(widget)
    assert "main task created" in widget.pane.value and widget.back_button.disabled
    ui["ac-loop-widget-forward"].click()
    assert "await rt.gather(sleeper(3), sleeper(1), sleeper(2))" in widget.pane.value
    ui["ac-loop-end"].click()
    assert "t = 3" in widget.pane.value and widget.forward_button.disabled
    ui["ac-loop-reset"].click()
    assert "step 0" in widget.pane.value


# -- issue 15: the steppers as a learner reads them ---------------------------------------------------------


def test_loop_widget_shows_a_numbered_listing_and_uses_its_numbers():
    widget = loop_widget("producer and consumers")
    ui = _buttons(widget)
    for _ in range(2):
        ui["ac-loop-widget-forward"].click()  # main, then consumer-1, which pauses at `job = await queue.get()`
    pane = widget.pane.value
    assert '<td class="ac-lineno">1</td><td class="ac-mark"></td>' in pane  # the listing starts at line 1
    current = re.findall(r'<tr class="ac-current" aria-current="step">(.*?)</tr>', pane)
    assert current == [
        '<td class="ac-lineno">13</td><td class="ac-mark">▶</td><td class="ac-code"><code>'
        '            job = await queue.get()</code></td><td class="ac-who">← consumer-1</td>'
    ]  # highlighted, and marked by ▶ and the task's name, not by colour alone
    assert "<td>▶ consumer-1</td><td>waiting</td><td>waits for a message on jobs</td>" in pane
    assert "<td>13</td><td><code>job = await queue.get()</code></td>" in pane  # the table's line: 13, as listed
    assert "<td>62</td>" not in pane and "<td>68</td>" not in pane  # not loop_examples.py's own numbers


def test_status_line_shows_refusals_as_refusals():
    widget = callback_widget()
    ui = _buttons(widget)
    ui["ac-callback-advance"].click()
    assert '<div class="ac-status ac-refused" role="status">⛔ refused: nothing is running; start a job first' in (
        widget.pane.value
    )
    ui["ac-callback-start"].click()
    assert '<div class="ac-status ac-ok" role="status">✓ started download: ends at t=2</div>' in widget.pane.value
    queue = queue_widget(maxsize=1)
    _buttons(queue)["ac-queue-receive"].click()
    assert '<div class="ac-status ac-refused" role="status">⛔ refused: queue' in queue.pane.value


def test_bus_widget_refusal_names_the_listener_as_the_menu_does():
    widget = bus_widget()
    ui = _buttons(widget)
    ui["ac-bus-listener"].value = "count"
    ui["ac-bus-remove"].click()
    assert "⛔ refused: listener count is not registered for event &#x27;order&#x27;" in widget.pane.value
    assert "&lt;locals&gt;" not in widget.pane.value and "_make_listeners" not in widget.pane.value


def test_queue_widget_receives_with_a_timeout_on_the_virtual_clock():
    widget = queue_widget(maxsize=1)
    ui = _buttons(widget)
    ui["ac-queue-timeout"].value = 3
    ui["ac-queue-receive-timeout"].click()
    assert "⛔ timed out: no message arrived on queue &#x27;q&#x27; within 3 s" in widget.pane.value
    assert "0 of 1 messages · t = 4" in widget.pane.value  # the click's second, then the three of the wait
    ui["ac-queue-send"].click()
    ui["ac-queue-send-timeout"].click()
    assert "⛔ timed out: queue &#x27;q&#x27; stayed full for 3 s" in widget.pane.value
    ui["ac-queue-receive-timeout"].click()
    assert "✓ received &#x27;hello&#x27;" in widget.pane.value and "t = 10" in widget.pane.value


@pytest.mark.parametrize("language", ["en", "zh"])
def test_trace_table_says_how_many_older_rows_it_hides(language):
    ac.set_language(language)
    try:
        widget = queue_widget(maxsize=20)
        ui = _buttons(widget)
        for _ in range(8):
            ui["ac-queue-send"].click()
        assert 'ac-hidden-rows">' not in widget.pane.value
        for _ in range(5):
            ui["ac-queue-send"].click()
        note = {"en": "… 5 earlier rows hidden", "zh": "……前面还有 5 行未显示"}[language]
        assert f'<div class="ac-hidden-rows">{note}</div>' in widget.pane.value
        assert widget.pane.value.count("<tr>") == 9  # the header and the last 8 rows
    finally:
        ac.set_language("en")


def _states_of_every_stepper() -> list[str]:
    """The HTML of the four steppers in each state they can show (statuses, listings, hidden rows, ...)."""
    queue, bus, calls, loop = queue_widget(maxsize=2), bus_widget(), callback_widget(), loop_widget("taking turns")
    panes = [queue.pane.value, bus.pane.value, calls.pane.value, loop.pane.value]
    for name in ["ac-queue-send"] * 3 + ["ac-queue-receive"] * 3 + ["ac-queue-send-timeout"] * 10:
        _buttons(queue).get(name, _buttons(queue)["ac-queue-send"]).click()  # (the old widget had no timeout)
        panes.append(queue.pane.value)
    _buttons(bus)["ac-bus-listener"].value = "fails"
    for name in ["ac-bus-register", "ac-bus-trigger", "ac-bus-remove", "ac-bus-remove"]:
        _buttons(bus)[name].click()
        panes.append(bus.pane.value)
    calls.fails.value = True
    for name in ["ac-callback-advance", "ac-callback-register", "ac-callback-start", "ac-callback-advance"]:
        _buttons(calls)[name].click()
        panes.append(calls.pane.value)
    while not loop.forward_button.disabled:
        loop.forward_button.click()
        panes.append(loop.pane.value)
    return panes


_THEME_VARIABLE = re.compile(r"var\(--jp-[\w-]+,\s*(?:[^()]|\([^()]*\))+\)")
_COLOUR = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(|:\s*(?:white|black|red|green|blue|gr[ae]y|orange|yellow)\b", re.I
)


def test_stepper_colours_are_jupyterlab_theme_variables():
    """No colour is hard-coded for the light theme: each is a ``var(--jp-...)`` (its fallback only inside it)."""
    for pane in _states_of_every_stepper():
        styles = re.findall(r"<style>(.*?)</style>", pane, re.S) + re.findall(r'style="([^"]*)"', pane)
        assert styles, "the steppers style themselves"
        for css in styles:
            leftover = _THEME_VARIABLE.sub("THEME", css)
            assert not _COLOUR.findall(leftover), f"hard-coded colours in {leftover!r}"
        for declaration in re.findall(r"(?:color|background|border[\w-]*)\s*:\s*[^;}]+", "".join(styles)):
            if re.search(r"#|rgb", declaration):
                assert "var(--jp-" in declaration, declaration


def _controls(widget) -> list[w.DOMWidget]:
    found = []

    def walk(node):
        if isinstance(node, w.Box):
            for child in node.children:
                walk(child)
        elif not isinstance(node, w.HTML):
            found.append(node)

    walk(widget)
    return found


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_stepper_control_has_a_label_a_screen_reader_can_read(language):
    ac.set_language(language)
    try:
        widgets = [queue_widget(), bus_widget(), callback_widget(), loop_widget()]
    finally:
        ac.set_language("en")
    han = re.compile(r"[\u4e00-\u9fff]")
    for widget in widgets:
        controls = _controls(widget)
        assert len(controls) >= 4
        for control in controls:
            label, tooltip = control.description, control.tooltip or ""
            assert label.strip() and tooltip.strip(), f"{type(control).__name__} {control._dom_classes} has no label"
            if language == "zh":  # read in the learner's language
                assert han.search(label) or label in ("on_done", "on_error"), label
                assert han.search(tooltip), tooltip
            else:
                assert not han.search(label + tooltip), label + tooltip
