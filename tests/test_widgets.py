"""Widgets render their model and forward clicks (no browser here; see test_browser.py)."""

from __future__ import annotations

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
    assert "ac-status ac-fail" in widget.pane.value
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
