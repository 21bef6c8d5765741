"""Models -> HTML. Pure functions (no ipywidgets), so they are easy to test. What they write follows the
course's language (:func:`asyncomm.i18n.set_language`) at the moment they render."""

from __future__ import annotations

from html import escape
from typing import Any

from asyncomm.i18n import tr
from asyncomm.teaching.eventloop import LoopSnapshot
from asyncomm.teaching.stepping import BusStepper, CallbackStepper, QueueStepper
from asyncomm.trace import TraceRow

_STYLE = """<style>
.ac-box{display:inline-block;min-width:3.2em;padding:.35em .5em;margin:.15em;border:2px solid #3b6ea5;
  border-radius:.3em;background:#e8f0fa;text-align:center;font-family:monospace}
.ac-box.ac-empty{border-style:dashed;border-color:#bbb;background:none;color:#bbb}
.ac-table{border-collapse:collapse;font-size:90%;margin-top:.3em}
.ac-table td,.ac-table th{border:1px solid #ddd;padding:.15em .5em;text-align:left}
.ac-fail{color:#b00020}.ac-ok{color:#1b5e20}.ac-note{color:#555;font-style:italic}
.ac-state-running{background:#fff3c4}.ac-state-ready{background:#e3f2fd}.ac-state-sleeping{background:#ede7f6}
.ac-state-waiting{background:#fce4ec}.ac-state-done{background:#e8f5e9;color:#555}
</style>"""


def _cell(value: Any) -> str:
    return f"<td>{escape(str(value))}</td>"


def _table(headers: list[str], rows: list[list[Any]], css: str, empty: str) -> str:
    if not rows:
        return f'<div class="{css} ac-note">{escape(empty)}</div>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table class="ac-table {css}"><tr>{head}</tr>{body}</table>'


#: Words that mark a status line as a refusal or a failure (red), in English and in Chinese.
_FAILURE_WORDS = ("raised", "failed", "抛出", "失败")

#: How the tables name a job's or a task's state, in Chinese.
_STATE_ZH = {
    "running": "运行中",
    "done": "已完成",
    "failed": "失败",
    "ready": "就绪",
    "sleeping": "睡眠中",
    "waiting": "等待中",
}


def _state(state: str) -> str:
    return tr(state, _STATE_ZH.get(state, state))


def _status(message: str) -> str:
    refused = message.startswith(("refused", "拒绝"))
    css = "ac-fail" if refused or any(word in message for word in _FAILURE_WORDS) else "ac-ok"
    return f'<div class="ac-status {css}">{escape(message) or "&nbsp;"}</div>'


def trace_table(rows: list[TraceRow], last: int = 8) -> str:
    shown = rows[-last:]
    return _table(
        [
            "t",
            tr("operation", "操作"),
            tr("name", "名称"),
            tr("item", "消息"),
            tr("size", "长度"),
            tr("outcome", "结果"),
        ],
        [[f"{r.time:g}", r.operation, r.name, repr(r.item), r.size, r.outcome] for r in shown],
        "ac-log",
        tr("no operations yet", "还没有任何操作"),
    )


def render_queue(model: QueueStepper) -> str:
    items = model.items
    boxes = "".join(f'<span class="ac-box ac-item">{escape(repr(item))}</span>' for item in items)
    free = max(model.maxsize - len(items), 0)
    boxes += f'<span class="ac-box ac-empty">{tr("free", "空")}</span>' * free
    full = ""
    if model.maxsize and len(items) >= model.maxsize:
        full = tr(" — full: a send is refused", " — 已满：发送会被拒绝")
    size = tr(f"{len(items)} of {model.maxsize} messages", f"{len(items)} / {model.maxsize} 条消息")
    front, back = tr("front →", "队头 →"), tr("← back", "← 队尾")
    return (
        f'{_STYLE}<div class="ac-queue"><b>{front}</b> <span class="ac-boxes">{boxes}</span> <b>{back}</b>'
        f'<div class="ac-size">{size}{full}</div>'
        f"{_status(model.message)}{trace_table(model.rows)}</div>"
    )


def render_bus(model: BusStepper) -> str:
    table = model.table()
    listeners = _table(
        [tr("event", "事件"), tr("listeners, in call order", "监听器（按调用顺序）")],
        [[event, ", ".join(names)] for event, names in table.items()],
        "ac-listeners",
        tr("no listeners registered", "还没有注册监听器"),
    )
    calls = _table(
        [tr("action", "操作"), tr("event", "事件"), tr("listener", "监听器"), tr("what it did", "它做了什么")],
        [[c.step, c.event, c.listener, c.outcome] for c in model.calls[-10:]],
        "ac-calls",
        tr("no listener has been called yet", "还没有监听器被调用"),
    )
    return f'{_STYLE}<div class="ac-bus">{listeners}{_status(model.message)}{calls}</div>'


def render_callbacks(model: CallbackStepper) -> str:
    registries = _table(
        [tr("registry", "注册表"), tr("callbacks, in call order", "回调（按调用顺序）")],
        [
            ["on_done", ", ".join(f.__name__.replace("_", "-") for f in model.on_done.callbacks())],
            ["on_error", ", ".join(f.__name__.replace("_", "-") for f in model.on_error.callbacks())],
        ],
        "ac-registries",
        "",
    )
    jobs = _table(
        [tr("job", "任务"), tr("ends at", "结束于"), tr("state", "状态")],
        [[j.name, f"t={j.ends_at:g}", _state(j.state)] for j in model.jobs],
        "ac-jobs",
        tr("no background work started", "还没有启动后台任务"),
    )
    fired = _table(
        ["t", tr("callback", "回调"), tr("what it did", "它做了什么")],
        [[f"{t:g}", name, what] for t, name, what in model.fired],
        "ac-fired",
        tr("no callback has fired yet", "还没有回调被触发"),
    )
    return (
        f'{_STYLE}<div class="ac-callbacks"><div>t = {model.clock.now():g}</div>{registries}{jobs}'
        f"{_status(model.message)}{fired}</div>"
    )


def render_loop(snapshot: LoopSnapshot) -> str:
    rows = "".join(
        f'<tr class="ac-state-{t.state}"><td>{escape(t.name)}</td><td>{_state(t.state)}</td><td>{escape(t.detail)}</td>'
        f"<td>{t.line if t.line is not None else ''}</td><td><code>{escape(t.code)}</code></td></tr>"
        for t in snapshot.tasks
    )
    ready = " → ".join(snapshot.ready) or tr("(empty)", "（空）")
    head = "".join(
        f"<th>{tr(en, zh)}</th>"
        for en, zh in (("task", "任务"), ("state", "状态"), ("detail", "详情"), ("line", "行"), ("paused at", "暂停于"))
    )
    return (
        f'{_STYLE}<div class="ac-loop"><div><b>{tr(f"step {snapshot.step}", f"第 {snapshot.step} 步")}</b> · '
        f't = {snapshot.time:g} · <span class="ac-event">{escape(snapshot.event)}</span></div>'
        f"<div>{tr('ready queue', '就绪队列')}: {escape(ready)}</div>"
        f'<table class="ac-table ac-tasks"><tr>{head}</tr>{rows}</table></div>'
    )
