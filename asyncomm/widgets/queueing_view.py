"""The queueing lab's view: four sliders, a table and a picture, all drawn from a :class:`QueueingLab`.

The model (:mod:`asyncomm.labs.queueing_lab`) simulates and computes the theory; this module only turns a
:class:`~asyncomm.labs.queueing_lab.LabOutcome` into HTML and a PNG (matplotlib's object API, no pyplot, so
nothing is shown twice in a notebook) and forwards slider moves to the model. Sliders act when released.
"""

from __future__ import annotations

import io
import time
from html import escape

import ipywidgets as w

from asyncomm.i18n import tr
from asyncomm.labs.queueing_lab import SETTINGS, LabOutcome, QueueingLab

__all__ = ["QueueingLabWidget", "queueing_lab", "render_plot", "render_table"]

_STYLE = """<style>
.ac-qlab-table{border-collapse:collapse;font-size:90%;margin-top:.3em}
.ac-qlab-table td,.ac-qlab-table th{border:1px solid #ddd;padding:.15em .6em;text-align:right}
.ac-qlab-table td:first-child,.ac-qlab-table th:first-child{text-align:left}
.ac-qlab-note{color:#555;font-style:italic}
</style>"""


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def render_table(outcome: LabOutcome) -> str:
    """The outcome's headline and its simulation-against-theory table, as HTML.

    >>> from asyncomm.labs.queueing_lab import QueueingLab
    >>> html = render_table(QueueingLab(customers=1000).outcome)
    >>> "M/M/1" in html and "ac-qlab-table" in html
    True
    """
    rows = "".join(
        f"<tr><td>{escape(r.quantity)}</td><td>{_number(r.simulated)}</td><td>{_number(r.theory)}</td></tr>"
        for r in outcome.rows()
    )
    head = (
        f"ρ = λ / (c·μ) = {outcome.arrival_rate:g} / ({outcome.consumers} × {outcome.service_rate:g}) = "
        f"<b>{outcome.rho:.3g}</b> · {tr('model', '模型')} <b>{escape(outcome.model_name)}</b> · "
        + tr(f"{outcome.customers:,} simulated messages", f"模拟了 {outcome.customers:,} 条消息")
    )
    return (
        f'{_STYLE}<div class="ac-qlab-summary"><div>{head}</div>'
        f'<div class="ac-qlab-note">{escape(outcome.note)}</div>'
        f'<table class="ac-qlab-table"><tr><th>{tr("quantity", "指标")}</th><th>{tr("simulated", "模拟")}</th>'
        f"<th>{tr('theory', '理论')}</th></tr>{rows}"
        f"</table></div>"
    )


def render_plot(outcome: LabOutcome, *, dpi: int = 80) -> bytes:
    """Two panels as PNG bytes: the number in the system over time, and the time in the system
    (mean and percentiles), each simulated against theory.

    >>> from asyncomm.labs.queueing_lab import QueueingLab
    >>> render_plot(QueueingLab(customers=1000).outcome)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from matplotlib.figure import Figure  # deferred: the other widgets need no matplotlib

    from asyncomm.labs import fonts as _fonts
    from asyncomm.labs.fonts import plot_tr as _t

    sim, theory = outcome.simulation, outcome.theory
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig = Figure(figsize=(9, 3.0), dpi=dpi)
    # Fixed margins: an automatic layout engine would double the drawing time, and the lab must stay quick.
    left, right = fig.subplots(
        1, 2, width_ratios=[3, 2], gridspec_kw={"left": 0.07, "right": 0.99, "bottom": 0.16, "top": 0.9, "wspace": 0.2}
    )
    simulated_, theory_ = _t("simulated", "模拟"), _t("theory", "理论")
    left.plot(sim.times, sim.in_system, linewidth=0.7, color="#3b6ea5", label=_t("simulated (sampled)", "模拟（采样）"))
    left.axhline(sim.L, color="#3b6ea5", linestyle=":", label=f"{simulated_} L = {sim.L:.3g}")
    if theory is not None:
        left.axhline(theory.L, color="#c0392b", linestyle="--", label=f"{theory_} L = {theory.L:.3g}")
    left.set(
        xlabel=_t("time (s)", "时间（秒）"),
        ylabel=_t("messages in the system", "系统中的消息数"),
        title=_t("Queue over time", "队列随时间的变化"),
    )
    left.legend(fontsize=7, loc="upper right")
    labels = [_t("mean", "平均"), "p50", "p90", "p99"]
    simulated = [sim.W, sim.W_percentiles.p50, sim.W_percentiles.p90, sim.W_percentiles.p99]
    positions = range(len(labels))
    right.bar([x - 0.2 for x in positions], simulated, width=0.4, color="#3b6ea5", label=simulated_)
    if theory is not None:
        tp = outcome.theory_W_percentiles
        assert tp is not None  # there is a theory
        predicted = [theory.W, tp.p50, tp.p90, tp.p99]
        right.bar([x + 0.2 for x in positions], predicted, width=0.4, color="#c0392b", label=theory_)
        right.set_title(_t("Time in the system", "在系统中的时间"))
    else:
        right.set_title(_t("Time in the system (no theory: ρ ≥ 1)", "在系统中的时间（无理论值：ρ ≥ 1）"))
    right.set_xticks(list(positions), labels)
    right.set(ylabel=_t("seconds", "秒"))
    right.legend(fontsize=7, loc="upper left")  # a fixed place: "best" costs a search on every draw
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class QueueingLabWidget(w.VBox):
    """Sliders for arrival rate, service rate, consumers and maxsize; the table and the plot follow them.

    ``render_seconds`` is how long the last refresh took (model and drawing).

    >>> lab = QueueingLabWidget(QueueingLab(customers=1000))
    >>> lab.consumers.value = 2; lab.model.outcome.model_name
    'M/M/2 (Erlang C)'
    """

    def __init__(self, model: QueueingLab | None = None) -> None:
        self.model = model or QueueingLab(customers=50_000)
        out = self.model.outcome

        def slider(
            kind: type[w.FloatSlider] | type[w.IntSlider], name: str, label: str, step: float, value: float
        ) -> w.Widget:
            low, high = SETTINGS[name]
            control = kind(
                value=value,
                min=low,
                max=high,
                step=step,
                description=label,
                continuous_update=False,
                style={"description_width": "9em"},
                layout=w.Layout(width="24em"),
            )
            control.add_class(f"ac-qlab-{name.replace('_', '-')}")
            control.observe(lambda change: self.refresh(**{name: change["new"]}), names="value")
            return control

        self.arrival_rate = slider(
            w.FloatSlider, "arrival_rate", tr("arrival rate λ (/s)", "到达率 λ（/秒）"), 0.05, out.arrival_rate
        )
        self.service_rate = slider(
            w.FloatSlider, "service_rate", tr("service rate μ (/s)", "服务率 μ（/秒）"), 0.05, out.service_rate
        )
        self.consumers = slider(w.IntSlider, "consumers", tr("consumers c", "消费者数 c"), 1, out.consumers)
        self.maxsize = slider(
            w.IntSlider, "maxsize", tr("maxsize (0 = ∞)", "最大长度 maxsize（0 = ∞）"), 1, out.maxsize
        )
        self.summary = w.HTML()
        self.summary.add_class("ac-qlab-summary-pane")
        self.plot = w.Image(format="png")
        self.plot.add_class("ac-qlab-plot")
        self.render_seconds = 0.0
        super().__init__(
            [
                w.HBox([self.arrival_rate, self.service_rate]),
                w.HBox([self.consumers, self.maxsize]),
                self.summary,
                self.plot,
            ]
        )
        self.add_class("ac-qlab")
        self.refresh()

    def refresh(self, **changes: float) -> None:
        """Run the model with ``changes`` (none: as it is) and redraw."""
        began = time.perf_counter()
        outcome = self.model.update(**changes) if changes else self.model.outcome
        self.summary.value = render_table(outcome)
        self.plot.value = render_plot(outcome)
        self.render_seconds = time.perf_counter() - began


def queueing_lab(
    arrival_rate: float = 0.8,
    service_rate: float = 1.0,
    consumers: int = 1,
    maxsize: int = 0,
    *,
    customers: int = 50_000,
    seed: int = 0,
) -> QueueingLabWidget:
    """The interactive queueing lab: move the sliders, compare simulation and theory.

    >>> lab = queueing_lab(customers=2000)
    >>> lab.maxsize.value = 4          # what moving the slider does
    >>> lab.model.outcome.model_name
    'M/M/1/K (K = 5)'
    """
    return QueueingLabWidget(
        QueueingLab(arrival_rate, service_rate, consumers, maxsize, customers=customers, seed=seed)
    )
