"""The queueing lab's view: four sliders, a table and a picture, all drawn from a :class:`QueueingLab`.

The model (:mod:`asyncomm.labs.queueing_lab`) simulates and computes the theory; this module only turns a
:class:`~asyncomm.labs.queueing_lab.LabOutcome` into HTML and a PNG (matplotlib's object API, no pyplot, so
nothing is shown twice in a notebook) and forwards slider moves to the model. Sliders act when released.
"""

from __future__ import annotations

import base64
import io
import time
from html import escape

import ipywidgets as w

from asyncomm.i18n import tr
from asyncomm.labs.queueing_lab import SETTINGS, SLIDERS, LabOutcome, QueueingLab, settle, slider_range

__all__ = [
    "QueueingLabWidget",
    "SettingControl",
    "compact_number",
    "plot_description",
    "plot_figure",
    "plot_html",
    "queueing_lab",
    "render_plot",
    "render_table",
]

# Colours come from JupyterLab's theme (light-theme values only as fallbacks), so the lab reads in any theme.
_STYLE = """<style>
.ac-qlab-summary{color:var(--jp-content-font-color1, rgba(0, 0, 0, 0.87))}
.ac-qlab-table{border-collapse:collapse;font-size:90%;margin-top:.3em}
.ac-qlab-table td,.ac-qlab-table th{border:1px solid var(--jp-border-color2, #e0e0e0);
  padding:.15em .6em;text-align:right}
.ac-qlab-table td:first-child,.ac-qlab-table th:first-child{text-align:left}
.ac-qlab-note{color:var(--jp-content-font-color2, rgba(0, 0, 0, 0.54));font-style:italic}
.ac-qlab-notice{color:var(--jp-content-font-color1, rgba(0, 0, 0, 0.87));
  border-left:3px solid var(--jp-warn-color1, #f57c00);padding-left:.5em}
</style>"""

#: The plot is shown this wide (pixels) and drawn at twice the density, so it is sharp on a high-density screen.
DISPLAY_WIDTH, DISPLAY_DPI = 720, 80
PLOT_DPI = 2 * DISPLAY_DPI
_FIGSIZE = (DISPLAY_WIDTH / DISPLAY_DPI, 3.2)
_MARGINS = {"left": 0.085, "right": 0.985, "bottom": 0.16, "top": 0.83, "wspace": 0.28}


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def compact_number(value: float, _position: object = None) -> str:
    """A tick label a few characters wide: 12k rather than 12000, so labels of an overloaded queue fit.

    >>> [compact_number(x) for x in (0, 0.25, 950, 1500, 12000, 250_000, 3_000_000)]
    ['0', '0.25', '950', '1.5k', '12k', '250k', '3M']
    """
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


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


def plot_description(outcome: LabOutcome) -> str:
    """What the plot shows, in words: the image's alt text, which a screen reader reads.

    >>> from asyncomm.labs.queueing_lab import QueueingLab
    >>> plot_description(QueueingLab(customers=1000).outcome)[:60]
    'Left: the number of messages in the system over time, simula'
    """
    sim, theory = outcome.simulation, outcome.theory
    if theory is None:
        return tr(
            f"Left: the number of messages in the system over time (mean {sim.L:.3g}); no theory, since ρ ≥ 1 "
            f"and the queue is unbounded. Right: time in the system, mean {sim.W:.3g} s, p99 "
            f"{sim.W_percentiles.p99:.3g} s.",
            f"左图：系统中的消息数随时间的变化（平均 {sim.L:.3g}）；ρ ≥ 1 且队列无界，没有理论值。"
            f"右图：在系统中的时间，平均 {sim.W:.3g} 秒，p99 为 {sim.W_percentiles.p99:.3g} 秒。",
        )
    return tr(
        f"Left: the number of messages in the system over time, simulated (solid line, mean {sim.L:.3g}) "
        f"against theory (dashed line, L = {theory.L:.3g}). Right: time in the system, mean and percentiles, "
        f"simulated (plain bars, mean {sim.W:.3g} s) against theory (hatched bars, W = {theory.W:.3g} s).",
        f"左图：系统中的消息数随时间的变化，模拟值（实线，平均 {sim.L:.3g}）对比理论值（虚线，L = {theory.L:.3g}）。"
        f"右图：在系统中的时间的平均值与百分位数，模拟值（素色柱，平均 {sim.W:.3g} 秒）对比理论值"
        f"（斜线柱，W = {theory.W:.3g} 秒）。",
    )


def plot_figure(outcome: LabOutcome, *, dpi: int = PLOT_DPI):  # type: ignore[no-untyped-def]
    """The lab's figure (a matplotlib ``Figure``, not yet drawn): the number in the system over time, and the
    time in the system (mean and percentiles), each simulated against theory.

    Compact tick labels (12k) and two-line titles where a title is long keep every label within fixed
    margins, so no label overlaps another or leaves the figure in any state of the lab. Simulation and
    theory differ in line style and hatching as well as in colour.

    >>> from asyncomm.labs.queueing_lab import QueueingLab
    >>> figure = plot_figure(QueueingLab(customers=1000).outcome)
    >>> len(figure.axes)
    2
    """
    from matplotlib.figure import Figure  # deferred: the other widgets need no matplotlib
    from matplotlib.ticker import FuncFormatter

    from asyncomm.labs import fonts as _fonts
    from asyncomm.labs.fonts import plot_tr as _t

    sim, theory = outcome.simulation, outcome.theory
    _fonts.labels_language()  # the Chinese font first, before any text: a Text keeps the fonts of its birth
    fig = Figure(figsize=_FIGSIZE, dpi=dpi)
    # Fixed margins, wide enough for the longest labels the lab can make (tick labels are at most 5 characters,
    # titles at most 2 lines; tests/test_queueing_lab_view.py draws it over a grid of states to check): an
    # automatic layout engine would double the drawing time, and the lab must stay quick.
    left, right = fig.subplots(1, 2, width_ratios=[3, 2], gridspec_kw=_MARGINS)
    simulated_, theory_ = _t("simulated", "模拟"), _t("theory", "理论")
    blue, red = "#3b6ea5", "#c0392b"  # drawn on the figure's own white background, in every theme
    left.plot(sim.times, sim.in_system, linewidth=0.7, color=blue, label=_t("simulated (sampled)", "模拟（采样）"))
    left.axhline(sim.L, color=blue, linestyle=":", label=f"{simulated_} L = {compact_number(sim.L)}")
    if theory is not None:
        left.axhline(theory.L, color=red, linestyle="--", label=f"{theory_} L = {compact_number(theory.L)}")
    left.set(
        xlabel=_t("time (s)", "时间（秒）"),
        ylabel=_t("messages in the system", "系统中的消息数"),
        title=_t("Queue over time", "队列随时间的变化"),
    )
    left.legend(fontsize=7, loc="upper left")  # a fixed place: "best" costs a search on every draw
    labels = [_t("mean", "平均"), "p50", "p90", "p99"]
    simulated = [sim.W, sim.W_percentiles.p50, sim.W_percentiles.p90, sim.W_percentiles.p99]
    positions = range(len(labels))
    right.bar([x - 0.2 for x in positions], simulated, width=0.4, color=blue, label=simulated_)
    if theory is not None:
        tp = outcome.theory_W_percentiles
        assert tp is not None  # there is a theory
        predicted = [theory.W, tp.p50, tp.p90, tp.p99]
        right.bar([x + 0.2 for x in positions], predicted, width=0.4, color=red, hatch="//", label=theory_)
        right.set_title(_t("Time in the system", "在系统中的时间"))
    else:
        right.set_title(_t("Time in the system\n(no theory: ρ ≥ 1)", "在系统中的时间\n（无理论值：ρ ≥ 1）"))
    right.set_xticks(list(positions), labels)
    right.set(ylabel=_t("seconds", "秒"))
    right.legend(fontsize=7, loc="upper left")
    compact = FuncFormatter(compact_number)
    for axis in (left.xaxis, left.yaxis, right.yaxis):
        axis.set_major_formatter(compact)
    return fig


def render_plot(outcome: LabOutcome, *, dpi: int = PLOT_DPI) -> bytes:
    """:func:`plot_figure` as PNG bytes, at ``dpi`` (twice the display density by default: sharp on any screen).

    >>> from asyncomm.labs.queueing_lab import QueueingLab
    >>> render_plot(QueueingLab(customers=1000).outcome)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    buffer = io.BytesIO()
    # Light compression: at twice the density the default level took longer than drawing; 7 % more bytes.
    plot_figure(outcome, dpi=dpi).savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def plot_html(png: bytes, description: str) -> str:
    """The plot as an ``<img>`` with its description as alt text, shown at :data:`DISPLAY_WIDTH` pixels.

    >>> plot_html(b"PNG", "a plot")
    '<img src="data:image/png;base64,UE5H" alt="a plot" width="720" style="max-width:100%;height:auto">'
    """
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{escape(description)}" width="{DISPLAY_WIDTH}" '
        f'style="max-width:100%;height:auto">'
    )


class SettingControl(w.HBox):
    """One setting of the lab: a slider in fine steps and, beside it, a number box that takes a typed value.

    ``value`` is the box's value; setting it (or moving the slider, or typing) asks the lab to change. Both
    controls carry the setting's name as their label (the slider shows it; the box has it as a tooltip, which
    a screen reader reads as its name).

    >>> control = SettingControl("arrival_rate", "λ", 0.8)
    >>> control.slider.step, control.value
    (0.01, 0.8)
    """

    def __init__(self, name: str, label: str, value: float) -> None:
        self.name = name
        counts = name in ("consumers", "maxsize")
        spec = SLIDERS[name]
        self.slider = (w.IntSlider if counts else w.FloatSlider)(
            value=value,
            min=spec.low,
            max=max(spec.high, value),
            step=spec.step,
            description=label,
            tooltip=label,
            readout=False,  # the box beside it is the readout, and it takes typing
            continuous_update=False,
            style={"description_width": "12em"},
            layout=w.Layout(width="34em"),
        )
        self.box = (w.IntText if counts else w.FloatText)(
            value=value, step=spec.step, tooltip=label, layout=w.Layout(width="7em")
        )
        super().__init__([self.slider, self.box])
        self.add_class(f"ac-qlab-{name.replace('_', '-')}")

    @property
    def description(self) -> str:
        """The setting's label, in the course's language."""
        return self.slider.description  # type: ignore[no-any-return]

    @property
    def value(self) -> float:
        return self.box.value  # type: ignore[no-any-return]

    @value.setter
    def value(self, new: float) -> None:
        self.box.value = new

    def show(self, value: float, low: float, high: float) -> None:
        """Put both controls at ``value``, the slider over ``low .. high`` (which holds ``value``)."""
        slider = self.slider
        if high >= slider.max:  # widen first, so the slider never clamps the value on the way
            slider.max = high
            slider.value = value
        else:
            slider.value = value
            slider.max = high
        slider.min = low
        self.box.value = value


_LABELS = {
    "arrival_rate": ("arrival rate λ (/s)", "到达率 λ（/秒）"),
    "service_rate": ("service rate μ (/s)", "服务率 μ（/秒）"),
    "consumers": ("consumers c", "消费者数 c"),
    "maxsize": ("maxsize (0 = ∞)", "最大长度 maxsize（0 = ∞）"),
}


class QueueingLabWidget(w.VBox):
    """A slider and a number box for each of arrival rate, service rate, consumers and maxsize; the table
    and the plot follow them.

    A typed value outside the lab's range is set to the nearest end, and a line under the controls says so;
    one that is not a number is refused, with a line saying what to type. ``render_seconds`` is how long the
    last refresh took (model and drawing).

    >>> lab = QueueingLabWidget(QueueingLab(customers=1000))
    >>> lab.consumers.value = 2; lab.model.outcome.model_name
    'M/M/2 (Erlang C)'
    >>> lab.arrival_rate.value = 50; lab.model.outcome.arrival_rate, "set to 10" in lab.notice.value
    (10.0, True)
    """

    def __init__(self, model: QueueingLab | None = None) -> None:
        self.model = model or QueueingLab(customers=50_000)
        out = self.model.outcome
        self._syncing = False
        self.controls = {name: SettingControl(name, tr(*_LABELS[name]), getattr(out, name)) for name in SETTINGS}
        self.arrival_rate, self.service_rate = self.controls["arrival_rate"], self.controls["service_rate"]
        self.consumers, self.maxsize = self.controls["consumers"], self.controls["maxsize"]
        for name, control in self.controls.items():
            for part in (control.slider, control.box):
                part.observe(lambda change, name=name: self._typed(name, change["new"]), names="value")
        self.notice = w.HTML()
        self.notice.add_class("ac-qlab-notice-pane")
        self.summary = w.HTML()
        self.summary.add_class("ac-qlab-summary-pane")
        # An <img> in HTML rather than a w.Image: it takes alt text (a tooltip on w.Image stops ipywidgets 8.1
        # from drawing it at all), shown 720 px wide from a PNG of twice that, and shrinks in a narrow window.
        self.plot = w.HTML()
        self.plot.add_class("ac-qlab-plot")
        self.png = b""  # the PNG on show
        self.render_seconds = 0.0
        super().__init__([*self.controls.values(), self.notice, self.summary, self.plot])
        self.add_class("ac-qlab")
        self.refresh()

    def _typed(self, name: str, typed: float) -> None:
        """A control moved or a value was typed: settle it, run the model, put every control in step."""
        if self._syncing:
            return
        value, note = settle(name, typed, getattr(self.model.outcome, name))
        self.notice.value = (
            "" if note is None else f'{_STYLE}<div class="ac-qlab-notice" role="status">⚠ {escape(note)}</div>'
        )
        self.refresh(**{name: value})

    def refresh(self, **changes: float) -> None:
        """Run the model with ``changes`` (none: as it is) and redraw."""
        began = time.perf_counter()
        outcome = self.model.update(**changes) if changes else self.model.outcome
        settings = {name: getattr(outcome, name) for name in SETTINGS}
        self._syncing = True
        try:
            for name, control in self.controls.items():
                control.show(settings[name], *slider_range(name, **settings))
        finally:
            self._syncing = False
        self.summary.value = render_table(outcome)
        self.png = render_plot(outcome)
        self.plot.value = plot_html(self.png, plot_description(outcome))
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
    """The interactive queueing lab: move the sliders or type values, compare simulation and theory.

    >>> lab = queueing_lab(customers=2000)
    >>> lab.maxsize.value = 4          # what moving the slider does
    >>> lab.model.outcome.model_name
    'M/M/1/K (K = 5)'
    """
    return QueueingLabWidget(
        QueueingLab(arrival_rate, service_rate, consumers, maxsize, customers=customers, seed=seed)
    )
