"""Models -> HTML. Pure functions (no ipywidgets), so they are easy to test. What they write follows the
course's language (:func:`asyncomm.i18n.set_language`) at the moment they render."""

from __future__ import annotations

from html import escape
from typing import Any

from asyncomm.i18n import tr
from asyncomm.teaching.stepping import BusStepper, CallbackStepper, LoopStepper, QueueStepper
from asyncomm.trace import TraceRow

# Every colour is one of JupyterLab's theme variables (with the light theme's value as the fallback, for
# a page outside JupyterLab), so the widgets read well in the light and the dark theme alike. Text keeps the
# theme's font colour; state colours go on borders, and every state is also said in words or a mark.
_STYLE = """<style>
.ac-stepper{color:var(--jp-ui-font-color1,rgba(0,0,0,.87))}
.ac-box{display:inline-block;min-width:3.2em;padding:.35em .5em;margin:.15em;
  border:2px solid var(--jp-brand-color1,#1976d2);border-radius:.3em;background:var(--jp-layout-color2,#eee);
  color:var(--jp-ui-font-color1,rgba(0,0,0,.87));text-align:center;font-family:monospace}
.ac-box.ac-empty{border-style:dashed;border-color:var(--jp-border-color1,#bdbdbd);background:none;font-style:italic}
.ac-table{border-collapse:collapse;font-size:90%;margin-top:.3em}
.ac-table td,.ac-table th{border:1px solid var(--jp-border-color2,#e0e0e0);padding:.15em .5em;text-align:left}
.ac-note,.ac-hidden-rows{font-style:italic}
.ac-status{margin:.3em 0;padding:.1em .5em;border-left:4px solid var(--jp-border-color1,#bdbdbd)}
.ac-status.ac-ok{border-left-color:var(--jp-success-color1,#388e3c)}
.ac-status.ac-refused{border-left-color:var(--jp-error-color1,#d32f2f);font-weight:bold}
.ac-status.ac-fail{border-left-color:var(--jp-warn-color1,#f57c00);font-weight:bold}
.ac-listing{border-collapse:collapse;font-family:monospace;font-size:90%;margin:.3em 0}
.ac-listing td{padding:0 .5em;white-space:pre;border-left:4px solid transparent}
.ac-listing .ac-lineno{text-align:right}
.ac-listing tr.ac-current td{background:var(--jp-layout-color2,#eee);font-weight:bold}
.ac-listing tr.ac-current td.ac-lineno{border-left-color:var(--jp-brand-color1,#1976d2)}
.ac-tasks tr.ac-actor td{font-weight:bold}
.ac-tasks tr.ac-state-done td{font-style:italic}
</style>"""


def _cell(value: Any) -> str:
    return f"<td>{escape(str(value))}</td>"


def _hidden_note(hidden: int) -> str:
    """Say how many older rows a table leaves out, so a short table is not taken for the whole story."""
    if hidden <= 0:
        return ""
    text = tr(
        f"… {hidden} earlier row{'s' if hidden != 1 else ''} hidden",
        f"……前面还有 {hidden} 行未显示",
    )
    return f'<div class="ac-hidden-rows">{escape(text)}</div>'


def _table(headers: list[str], rows: list[list[Any]], css: str, empty: str, last: int | None = None) -> str:
    """A table of ``rows``; with ``last``, only the last ``last`` of them, after a note of how many are hidden."""
    if not rows:
        return f'<div class="{css} ac-note">{escape(empty)}</div>'
    hidden = max(len(rows) - last, 0) if last is not None else 0
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows[hidden:])
    return f'{_hidden_note(hidden)}<table class="ac-table {css}"><tr>{head}</tr>{body}</table>'


#: How the tables name a job's or a task's state, in Chinese.
_STATE_ZH = {
    "running": "运行中",
    "done": "已完成",
    "failed": "失败",
    "ready": "就绪",
    "sleeping": "睡眠中",
    "waiting": "等待中",
}

#: A status line's class and mark, by the model's ``outcome``: the mark says it without colour.
_OUTCOME_LOOK = {
    "ok": ("ac-ok", "✓ "),
    "refused": ("ac-refused", "⛔ "),
    "failed": ("ac-fail", "⚠ "),
    "note": ("ac-note", ""),
}


def _state(state: str) -> str:
    return tr(state, _STATE_ZH.get(state, state))


def _status(model: Any) -> str:
    """The last action's message, styled by what the model says happened (not by guessing from its words)."""
    css, mark = _OUTCOME_LOOK[model.outcome]
    text = f"{mark}{model.message}" if model.message else ""
    return f'<div class="ac-status {css}" role="status">{escape(text) or "&nbsp;"}</div>'


def trace_table(rows: list[TraceRow], last: int = 8) -> str:
    return _table(
        [
            "t",
            tr("operation", "操作"),
            tr("name", "名称"),
            tr("item", "消息"),
            tr("size", "长度"),
            tr("outcome", "结果"),
        ],
        [[f"{r.time:g}", r.operation, r.name, repr(r.item), r.size, r.outcome] for r in rows],
        "ac-log",
        tr("no operations yet", "还没有任何操作"),
        last,
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
        f'{_STYLE}<div class="ac-stepper ac-queue"><b>{front}</b> <span class="ac-boxes">{boxes}</span> <b>{back}</b>'
        f'<div class="ac-size">{size}{full} · t = {model.clock.now():g}</div>'
        f"{_status(model)}{trace_table(model.rows)}</div>"
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
        [[c.step, c.event, c.listener, c.outcome] for c in model.calls],
        "ac-calls",
        tr("no listener has been called yet", "还没有监听器被调用"),
        10,
    )
    return f'{_STYLE}<div class="ac-stepper ac-bus">{listeners}{_status(model)}{calls}</div>'


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
        10,
    )
    return (
        f'{_STYLE}<div class="ac-stepper ac-callbacks"><div>t = {model.clock.now():g}</div>{registries}{jobs}'
        f"{_status(model)}{fired}</div>"
    )


def _listing(model: LoopStepper) -> str:
    """The program, numbered; ▶ and a highlight mark the line where the task that just ran paused."""
    if not model.listing.lines:
        missing = tr("(the source of this program is not available)", "（找不到这段程序的源代码）")
        return f'<div class="ac-note">{missing}</div>'
    current = model.current_line
    paused: dict[int, list[str]] = {}
    for task in model.current.tasks:
        number = model.line_of(task)
        if number is not None and task.state != "done":
            paused.setdefault(number, []).append(task.name)
    rows = []
    for number, text in enumerate(model.listing.lines, start=1):
        here = current == number
        css = ' class="ac-current" aria-current="step"' if here else ""
        who = f"← {', '.join(paused[number])}" if number in paused else ""
        rows.append(
            f'<tr{css}><td class="ac-lineno">{number}</td><td class="ac-mark">{"▶" if here else ""}</td>'
            f'<td class="ac-code"><code>{escape(text)}</code></td><td class="ac-who">{escape(who)}</td></tr>'
        )
    return f'<table class="ac-listing">{"".join(rows)}</table>'


def render_loop(model: LoopStepper) -> str:
    snapshot = model.current
    rows = []
    for t in snapshot.tasks:
        number = model.line_of(t)
        actor = t.name == snapshot.actor
        css = f"ac-state-{t.state}" + (" ac-actor" if actor else "")
        rows.append(
            f'<tr class="{css}"><td>{"▶ " if actor else ""}{escape(t.name)}</td><td>{_state(t.state)}</td>'
            f"<td>{escape(t.detail)}</td><td>{number if number is not None else ''}</td>"
            f"<td><code>{escape(t.code)}</code></td></tr>"
        )
    ready = " → ".join(snapshot.ready) or tr("(empty)", "（空）")
    head = "".join(
        f"<th>{tr(en, zh)}</th>"
        for en, zh in (("task", "任务"), ("state", "状态"), ("detail", "详情"), ("line", "行"), ("paused at", "暂停于"))
    )
    step = tr(f"step {snapshot.step}", f"第 {snapshot.step} 步")
    return (
        f'{_STYLE}<div class="ac-stepper ac-loop"><div><b>{step}</b> · '
        f't = {snapshot.time:g} · <span class="ac-event">{escape(snapshot.event)}</span></div>'
        f"{_listing(model)}"
        f"<div>{tr('ready queue', '就绪队列')}: {escape(ready)}</div>"
        f'<table class="ac-table ac-tasks"><tr>{head}</tr>{"".join(rows)}</table></div>'
    )
