"""Models -> HTML. Pure functions (no ipywidgets), so they are easy to test."""

from __future__ import annotations

from html import escape
from typing import Any

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


def _status(message: str) -> str:
    css = "ac-fail" if message.startswith("refused") or "raised" in message or "failed" in message else "ac-ok"
    return f'<div class="ac-status {css}">{escape(message) or "&nbsp;"}</div>'


def trace_table(rows: list[TraceRow], last: int = 8) -> str:
    shown = rows[-last:]
    return _table(
        ["t", "operation", "name", "item", "size", "outcome"],
        [[f"{r.time:g}", r.operation, r.name, repr(r.item), r.size, r.outcome] for r in shown],
        "ac-log",
        "no operations yet",
    )


def render_queue(model: QueueStepper) -> str:
    items = model.items
    boxes = "".join(f'<span class="ac-box ac-item">{escape(repr(item))}</span>' for item in items)
    free = max(model.maxsize - len(items), 0)
    boxes += '<span class="ac-box ac-empty">free</span>' * free
    full = " — full: a send is refused" if model.maxsize and len(items) >= model.maxsize else ""
    return (
        f'{_STYLE}<div class="ac-queue"><b>front →</b> <span class="ac-boxes">{boxes}</span> <b>← back</b>'
        f'<div class="ac-size">{len(items)} of {model.maxsize} messages{full}</div>'
        f"{_status(model.message)}{trace_table(model.rows)}</div>"
    )


def render_bus(model: BusStepper) -> str:
    table = model.table()
    listeners = _table(
        ["event", "listeners, in call order"],
        [[event, ", ".join(names)] for event, names in table.items()],
        "ac-listeners",
        "no listeners registered",
    )
    calls = _table(
        ["action", "event", "listener", "what it did"],
        [[c.step, c.event, c.listener, c.outcome] for c in model.calls[-10:]],
        "ac-calls",
        "no listener has been called yet",
    )
    return f'{_STYLE}<div class="ac-bus">{listeners}{_status(model.message)}{calls}</div>'


def render_callbacks(model: CallbackStepper) -> str:
    registries = _table(
        ["registry", "callbacks, in call order"],
        [
            ["on_done", ", ".join(f.__name__.replace("_", "-") for f in model.on_done.callbacks())],
            ["on_error", ", ".join(f.__name__.replace("_", "-") for f in model.on_error.callbacks())],
        ],
        "ac-registries",
        "",
    )
    jobs = _table(
        ["job", "ends at", "state"],
        [[j.name, f"t={j.ends_at:g}", j.state] for j in model.jobs],
        "ac-jobs",
        "no background work started",
    )
    fired = _table(
        ["t", "callback", "what it did"],
        [[f"{t:g}", name, what] for t, name, what in model.fired],
        "ac-fired",
        "no callback has fired yet",
    )
    return (
        f'{_STYLE}<div class="ac-callbacks"><div>t = {model.clock.now():g}</div>{registries}{jobs}'
        f"{_status(model.message)}{fired}</div>"
    )


def render_loop(snapshot: LoopSnapshot) -> str:
    rows = "".join(
        f'<tr class="ac-state-{t.state}"><td>{escape(t.name)}</td><td>{t.state}</td><td>{escape(t.detail)}</td>'
        f"<td>{t.line if t.line is not None else ''}</td><td><code>{escape(t.code)}</code></td></tr>"
        for t in snapshot.tasks
    )
    ready = " → ".join(snapshot.ready) or "(empty)"
    return (
        f'{_STYLE}<div class="ac-loop"><div><b>step {snapshot.step}</b> · t = {snapshot.time:g} · '
        f'<span class="ac-event">{escape(snapshot.event)}</span></div>'
        f"<div>ready queue: {escape(ready)}</div>"
        f'<table class="ac-table ac-tasks"><tr><th>task</th><th>state</th><th>detail</th><th>line</th>'
        f"<th>paused at</th></tr>{rows}</table></div>"
    )
