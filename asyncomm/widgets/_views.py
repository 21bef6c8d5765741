"""The ipywidgets views: controls that forward clicks to a model, and one HTML pane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from asyncomm.i18n import tr
from asyncomm.teaching.eventloop import Program
from asyncomm.teaching.loop_examples import EXAMPLES
from asyncomm.teaching.stepping import BusStepper, CallbackStepper, LoopStepper, QueueStepper
from asyncomm.widgets import _render


def _button(label: str, css: str, on_click: Callable[[], Any], style: str = "") -> w.Button:
    button = w.Button(description=label, button_style=style, layout=w.Layout(width="auto"))
    button.add_class(css)
    button.on_click(lambda _: on_click())
    return button


class _StepperView(w.VBox):
    """Common frame: a row of controls, Back / Forward, and the HTML pane."""

    css = ""

    def __init__(self, controls: list[w.Widget]) -> None:
        self.pane = w.HTML()
        self.pane.add_class(f"{self.css}-pane")
        self.back_button = _button(tr("◀ Back", "◀ 后退"), f"{self.css}-back", self._back)
        self.forward_button = _button(tr("Forward ▶", "前进 ▶"), f"{self.css}-forward", self._forward)
        super().__init__([*controls, w.HBox([self.back_button, self.forward_button]), self.pane])
        self.add_class(self.css)
        self.refresh()

    def _back(self) -> None:
        self.model.back()
        self.refresh()

    def _forward(self) -> None:
        self.model.forward()
        self.refresh()

    def _act(self, action: Callable[[], Any]) -> None:
        action()
        self.refresh()

    def refresh(self) -> None:
        self.pane.value = self.render()
        self.back_button.disabled = not self.model.can_back
        self.forward_button.disabled = not self.model.can_forward

    model: Any

    def render(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class QueueWidget(_StepperView):
    """Send / Receive / Clear on a bounded queue, drawn as boxes, with its trace.

    >>> view = QueueWidget(QueueStepper(maxsize=2))
    >>> message, send, receive, clear = view.children[0].children
    >>> message.value = "tea"; send.click(); send.click(); receive.click()
    >>> view.model.items, view.back_button.disabled
    (['tea'], False)
    """

    css = "ac-queue-widget"

    def __init__(self, model: QueueStepper | None = None) -> None:
        self.model = model or QueueStepper()
        self.message = w.Text(value="hello", placeholder=tr("message", "消息"), layout=w.Layout(width="12em"))
        self.message.add_class("ac-queue-message")
        controls = w.HBox(
            [
                self.message,
                _button(
                    tr("Send", "发送"),
                    "ac-queue-send",
                    lambda: self._act(lambda: self.model.send(self.message.value)),
                    "primary",
                ),
                _button(tr("Receive", "接收"), "ac-queue-receive", lambda: self._act(self.model.receive), "info"),
                _button(tr("Clear", "清空"), "ac-queue-clear", lambda: self._act(self.model.clear), "warning"),
            ]
        )
        super().__init__([controls])

    def render(self) -> str:
        return _render.render_queue(self.model)


class BusWidget(_StepperView):
    """Register / remove ready-made listeners and trigger events with a payload.

    >>> view = BusWidget()
    >>> (event, listener, register, remove), (payload, trigger) = (row.children for row in view.children[:2])
    >>> listener.value = "log"; register.click(); trigger.click()
    >>> view.model.table(), view.model.message
    ({'order': ['log']}, "triggered 'order': 1 listener(s) ran")
    """

    css = "ac-bus-widget"

    def __init__(self, model: BusStepper | None = None) -> None:
        self.model = model or BusStepper()
        self.event = w.Text(value="order", description=tr("event", "事件"), layout=w.Layout(width="14em"))
        self.event.add_class("ac-bus-event")
        self.listener = w.Dropdown(options=list(BusStepper.MENU), description=tr("listener", "监听器"))
        self.listener.add_class("ac-bus-listener")
        self.payload = w.Text(value="tea", description=tr("payload", "负载"), layout=w.Layout(width="14em"))
        self.payload.add_class("ac-bus-payload")
        row1 = w.HBox(
            [
                self.event,
                self.listener,
                _button(
                    tr("Register", "注册"),
                    "ac-bus-register",
                    lambda: self._act(lambda: self.model.register(self.event.value, self.listener.value)),
                    "primary",
                ),
                _button(
                    tr("Remove", "移除"),
                    "ac-bus-remove",
                    lambda: self._act(lambda: self.model.remove(self.event.value, self.listener.value)),
                    "warning",
                ),
            ]
        )
        row2 = w.HBox(
            [
                self.payload,
                _button(
                    tr("Trigger", "触发"),
                    "ac-bus-trigger",
                    lambda: self._act(lambda: self.model.trigger(self.event.value, self.payload.value)),
                    "danger",
                ),
            ]
        )
        super().__init__([row1, row2])

    def render(self) -> str:
        return _render.render_bus(self.model)


class CallbackWidget(_StepperView):
    """Callbacks in ``on_done`` / ``on_error``, background jobs, and their completions.

    >>> view = CallbackWidget()
    >>> (registry, callback, register, remove), (job, seconds, fails, start, advance) = (
    ...     row.children for row in view.children[:2])
    >>> register.click(); start.click(); advance.click()     # 'show' on on_done; a 2 s job; its completion
    >>> view.model.message
    't=2: download done; 1 on_done callback(s) ran'
    """

    css = "ac-callback-widget"

    def __init__(self, model: CallbackStepper | None = None) -> None:
        self.model = model or CallbackStepper()
        self.registry = w.Dropdown(options=["on_done", "on_error"], description=tr("registry", "注册表"))
        self.callback = w.Dropdown(options=list(CallbackStepper.MENU), description=tr("callback", "回调"))
        self.job = w.Text(value="download", description=tr("job", "任务"), layout=w.Layout(width="14em"))
        self.seconds = w.BoundedFloatText(
            value=2, min=0.5, max=60, step=0.5, description=tr("seconds", "秒数"), layout=w.Layout(width="12em")
        )
        self.fails = w.Checkbox(value=False, description=tr("fails", "会失败"), indent=False)
        self._jobs_started = 0
        row1 = w.HBox(
            [
                self.registry,
                self.callback,
                _button(
                    tr("Register", "注册"),
                    "ac-callback-register",
                    lambda: self._act(lambda: self.model.register(self.registry.value, self.callback.value)),
                    "primary",
                ),
                _button(
                    tr("Remove", "移除"),
                    "ac-callback-remove",
                    lambda: self._act(lambda: self.model.remove(self.registry.value, self.callback.value)),
                    "warning",
                ),
            ]
        )
        row2 = w.HBox(
            [
                self.job,
                self.seconds,
                self.fails,
                _button(
                    tr("Start job", "启动任务"),
                    "ac-callback-start",
                    lambda: self._act(lambda: self.model.start(self.job.value, self.seconds.value, self.fails.value)),
                    "info",
                ),
                _button(
                    tr("Advance to next completion", "快进到下一次完成"),
                    "ac-callback-advance",
                    lambda: self._act(self.model.advance),
                    "danger",
                ),
            ]
        )
        super().__init__([row1, row2])

    def render(self) -> str:
        return _render.render_callbacks(self.model)


class LoopWidget(_StepperView):
    """Step an event loop through a program: tasks, ready queue, timers, paused lines.

    >>> view = LoopWidget("producer and consumers")
    >>> view.forward_button.click(); view.model.index
    1
    >>> reset, run_to_end = view.children[0].children
    >>> run_to_end.click(); view.model.ended, view.forward_button.disabled
    (True, True)
    """

    css = "ac-loop-widget"

    def __init__(self, program: Program | str = "producer and consumers") -> None:
        self.model = LoopStepper(EXAMPLES[program] if isinstance(program, str) else program)
        controls = w.HBox(
            [
                _button(tr("Reset", "重置"), "ac-loop-reset", lambda: self._act(self.model.reset)),
                _button(tr("Run to end", "运行到结束"), "ac-loop-end", lambda: self._act(self.model.run_to_end)),
            ]
        )
        super().__init__([controls])

    def render(self) -> str:
        return _render.render_loop(self.model.current)


def queue_widget(maxsize: int = 4) -> QueueWidget:
    """A queue stepper for a bounded queue of ``maxsize`` messages (show it by ending a cell with it).

    >>> queue_widget(maxsize=3).model.maxsize
    3
    """
    return QueueWidget(QueueStepper(maxsize))


def bus_widget() -> BusWidget:
    """An event-bus stepper with the ready-made listener menu.

    >>> bus_widget().listener.options
    ('log', 'shout', 'count', 'fails', 'greet-once')
    """
    return BusWidget()


def callback_widget() -> CallbackWidget:
    """A callbacks stepper with background jobs on a virtual clock.

    >>> callback_widget().model.clock.now()
    0.0
    """
    return CallbackWidget()


def loop_widget(program: Program | str = "producer and consumers") -> LoopWidget:
    """An event-loop stepper for one of :data:`asyncomm.teaching.loop_examples.EXAMPLES` or your own program.

    >>> loop_widget("producer and consumers").model.index      # before the first step
    0
    """
    return LoopWidget(program)
