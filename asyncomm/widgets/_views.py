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


def _button(label: str, tooltip: str, css: str, on_click: Callable[[], Any]) -> w.Button:
    """A button that says what it does in its label and, for a screen reader or a hover, in its tooltip.

    No ``button_style``: its colours told nothing the label does not, and a plain button takes its colours
    from the JupyterLab theme, light or dark, like the text around it.
    """
    button = w.Button(description=label, tooltip=tooltip, layout=w.Layout(width="auto"))
    button.add_class(css)
    button.on_click(lambda _: on_click())
    return button


def _labelled(control: w.DOMWidget, css: str, tooltip: str) -> w.DOMWidget:
    control.tooltip = tooltip
    control.add_class(css)
    return control


class _StepperView(w.VBox):
    """Common frame: a row of controls, Back / Forward, and the HTML pane."""

    css = ""

    def __init__(self, controls: list[w.Widget]) -> None:
        self.pane = w.HTML()
        self.pane.add_class(f"{self.css}-pane")
        self.back_button = _button(
            tr("◀ Back", "◀ 后退"),
            tr("undo the last step (replayed from the start)", "撤销上一步（从头重放）"),
            f"{self.css}-back",
            self._back,
        )
        self.forward_button = _button(
            tr("Forward ▶", "前进 ▶"),
            tr("redo or take the next step", "重做或执行下一步"),
            f"{self.css}-forward",
            self._forward,
        )
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
    """Send / Receive / Clear on a bounded queue, drawn as boxes, with its trace; Send and Receive again with a
    timeout on the virtual clock.

    >>> view = QueueWidget(QueueStepper(maxsize=2))
    >>> (message, send, receive, clear), (timeout, send_waiting, receive_waiting) = (
    ...     row.children for row in view.children[:2])
    >>> message.value = "tea"; send.click(); send.click(); receive.click()
    >>> view.model.items, view.back_button.disabled
    (['tea'], False)
    >>> receive.click(); timeout.value = 2; receive_waiting.click(); view.model.clock.now()
    7.0
    """

    css = "ac-queue-widget"

    def __init__(self, model: QueueStepper | None = None) -> None:
        self.model = model or QueueStepper()
        self.message = _labelled(
            w.Text(
                value="hello",
                placeholder=tr("message", "消息"),
                description=tr("message", "消息"),
                layout=w.Layout(width="16em"),
            ),
            "ac-queue-message",
            tr("the message Send puts on the queue", "“发送”放进队列的消息"),
        )
        self.timeout = _labelled(
            w.BoundedFloatText(
                value=2,
                min=0.5,
                max=60,
                step=0.5,
                description=tr("timeout (s)", "超时（秒）"),
                layout=w.Layout(width="14em"),
            ),
            "ac-queue-timeout",
            tr(
                "how long the two buttons on the right wait, in seconds of the widget's virtual clock",
                "右边两个按钮最多等待多久，单位是控件虚拟时钟的秒",
            ),
        )
        row1 = w.HBox(
            [
                self.message,
                _button(
                    tr("Send", "发送"),
                    tr("send the message without waiting: a full queue refuses", "不等待地发送消息：队列满时会被拒绝"),
                    "ac-queue-send",
                    lambda: self._act(lambda: self.model.send(self.message.value)),
                ),
                _button(
                    tr("Receive", "接收"),
                    tr(
                        "take the oldest message without waiting: an empty queue refuses",
                        "不等待地取出最早的消息：队列空时会被拒绝",
                    ),
                    "ac-queue-receive",
                    lambda: self._act(self.model.receive),
                ),
                _button(
                    tr("Clear", "清空"),
                    tr("drop every message in the queue", "丢弃队列里的所有消息"),
                    "ac-queue-clear",
                    lambda: self._act(self.model.clear),
                ),
            ]
        )
        row2 = w.HBox(
            [
                self.timeout,
                _button(
                    tr("Send with timeout", "带超时发送"),
                    tr("send, waiting up to the timeout for room", "发送；队列满时最多等待“超时”秒"),
                    "ac-queue-send-timeout",
                    lambda: self._act(lambda: self.model.send(self.message.value, timeout=self.timeout.value)),
                ),
                _button(
                    tr("Receive with timeout", "带超时接收"),
                    tr("receive, waiting up to the timeout for a message", "接收；队列空时最多等待“超时”秒"),
                    "ac-queue-receive-timeout",
                    lambda: self._act(lambda: self.model.receive(timeout=self.timeout.value)),
                ),
            ]
        )
        super().__init__([row1, row2])

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
        self.event = _labelled(
            w.Text(value="order", description=tr("event", "事件"), layout=w.Layout(width="14em")),
            "ac-bus-event",
            tr("the event's name", "事件的名字"),
        )
        self.listener = _labelled(
            w.Dropdown(options=list(BusStepper.MENU), description=tr("listener", "监听器")),
            "ac-bus-listener",
            tr("a ready-made listener to register or remove", "要注册或移除的现成监听器"),
        )
        self.payload = _labelled(
            w.Text(value="tea", description=tr("payload", "负载"), layout=w.Layout(width="14em")),
            "ac-bus-payload",
            tr("what Trigger passes to every listener", "“触发”传给每个监听器的数据"),
        )
        row1 = w.HBox(
            [
                self.event,
                self.listener,
                _button(
                    tr("Register", "注册"),
                    tr("register the listener for the event", "为这个事件注册这个监听器"),
                    "ac-bus-register",
                    lambda: self._act(lambda: self.model.register(self.event.value, self.listener.value)),
                ),
                _button(
                    tr("Remove", "移除"),
                    tr("remove the listener from the event", "从这个事件上移除这个监听器"),
                    "ac-bus-remove",
                    lambda: self._act(lambda: self.model.remove(self.event.value, self.listener.value)),
                ),
            ]
        )
        row2 = w.HBox(
            [
                self.payload,
                _button(
                    tr("Trigger", "触发"),
                    tr(
                        "trigger the event: every listener registered for it runs",
                        "触发事件：为它注册的每个监听器都会运行",
                    ),
                    "ac-bus-trigger",
                    lambda: self._act(lambda: self.model.trigger(self.event.value, self.payload.value)),
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
        self.registry = _labelled(
            w.Dropdown(options=["on_done", "on_error"], description=tr("registry", "注册表")),
            "ac-callback-registry",
            tr(
                "on_done hears of jobs that end well, on_error of jobs that fail",
                "on_done 得知成功结束的任务，on_error 得知失败的任务",
            ),
        )
        self.callback = _labelled(
            w.Dropdown(options=list(CallbackStepper.MENU), description=tr("callback", "回调")),
            "ac-callback-callback",
            tr("a ready-made callback to register or remove", "要注册或移除的现成回调"),
        )
        self.job = _labelled(
            w.Text(value="download", description=tr("job", "任务"), layout=w.Layout(width="14em")),
            "ac-callback-job",
            tr("the background job's name", "后台任务的名字"),
        )
        self.seconds = _labelled(
            w.BoundedFloatText(
                value=2, min=0.5, max=60, step=0.5, description=tr("seconds", "秒数"), layout=w.Layout(width="12em")
            ),
            "ac-callback-seconds",
            tr("how long the job takes, in seconds of the virtual clock", "任务要花多久，单位是虚拟时钟的秒"),
        )
        self.fails = _labelled(
            w.Checkbox(value=False, description=tr("fails", "会失败"), indent=False),
            "ac-callback-fails",
            tr("tick it for a job that ends with an error", "勾选后，任务会以错误结束"),
        )
        row1 = w.HBox(
            [
                self.registry,
                self.callback,
                _button(
                    tr("Register", "注册"),
                    tr("register the callback in the registry", "把回调注册到注册表中"),
                    "ac-callback-register",
                    lambda: self._act(lambda: self.model.register(self.registry.value, self.callback.value)),
                ),
                _button(
                    tr("Remove", "移除"),
                    tr("remove the callback from the registry", "从注册表中移除回调"),
                    "ac-callback-remove",
                    lambda: self._act(lambda: self.model.remove(self.registry.value, self.callback.value)),
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
                    tr("start the job in the background", "在后台启动任务"),
                    "ac-callback-start",
                    lambda: self._act(lambda: self.model.start(self.job.value, self.seconds.value, self.fails.value)),
                ),
                _button(
                    tr("Advance to next completion", "快进到下一次完成"),
                    tr(
                        "move the clock to the next job's end and run its callbacks",
                        "把时钟拨到下一个任务结束时，并运行它的回调",
                    ),
                    "ac-callback-advance",
                    lambda: self._act(self.model.advance),
                ),
            ]
        )
        super().__init__([row1, row2])

    def render(self) -> str:
        return _render.render_callbacks(self.model)


class LoopWidget(_StepperView):
    """Step an event loop through a program: its numbered listing, tasks, ready queue, timers, paused lines.

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
                _button(
                    tr("Reset", "重置"),
                    tr("start the program again from step 0", "从第 0 步重新开始运行程序"),
                    "ac-loop-reset",
                    lambda: self._act(self.model.reset),
                ),
                _button(
                    tr("Run to end", "运行到结束"),
                    tr("take every remaining step", "执行剩下的所有步骤"),
                    "ac-loop-end",
                    lambda: self._act(self.model.run_to_end),
                ),
            ]
        )
        super().__init__([controls])

    def render(self) -> str:
        return _render.render_loop(self.model)


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
