"""The queueing lab as a learner meets it: fine sliders and typed values, a plot whose labels never collide,
drawn sharp, in theme colours, every control labelled in both languages.

The names new in issue 15 are imported inside the tests, so that each test fails on its own on older code.
"""

from __future__ import annotations

import base64
import itertools
import math
import re
import struct

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from asyncomm.i18n import set_language
from asyncomm.labs.queueing_lab import SETTINGS, QueueingLab
from asyncomm.widgets import queueing_lab
from asyncomm.widgets import queueing_view as view

HEX_OUTSIDE_VAR = re.compile(r"(?<!, )#[0-9a-fA-F]{3,8}\b")  # a colour not given as var(--jp-..., fallback)


@pytest.fixture
def chinese():
    set_language("zh")
    yield
    set_language("en")


# --- sliders and typed values ----------------------------------------------------------------------------


def test_the_sliders_move_in_fine_steps_over_a_range_with_rho_1_in_its_middle():
    from asyncomm.labs.queueing_lab import SLIDERS, slider_range

    assert SLIDERS["arrival_rate"].step == SLIDERS["service_rate"].step == 0.01
    assert SLIDERS["consumers"].step == SLIDERS["maxsize"].step == 1
    lab = queueing_lab(customers=2000)
    slider = lab.arrival_rate.slider
    assert (slider.min, slider.max, slider.step) == (0.05, 2.0, 0.01)
    # The slider is 34em wide, its track about 300 px: 30 px of drag is at most a fifth of a message per second
    # (the old slider over 0.05 .. 10 in about 130 px moved λ from 0.8 to 3.8).
    assert (slider.max - slider.min) / 300 * 30 <= 0.2
    for consumers, service_rate in [(1, 1.0), (2, 1.0), (3, 1.5), (4, 0.5), (1, 0.25), (16, 1.0)]:
        low, high = slider_range("arrival_rate", 0.5, service_rate, consumers, 0)
        capacity = consumers * service_rate  # λ at ρ = 1
        assert high <= SETTINGS["arrival_rate"][1]
        assert 0.4 <= (capacity - low) / (high - low) <= 0.6 or high == SETTINGS["arrival_rate"][1]
    lab.consumers.value = 3  # the λ slider follows: ρ = 1 is at λ = 3, its middle
    assert (slider.min, slider.max) == (0.05, 6.0)


def test_typing_a_value_updates_the_lab_and_both_controls():
    lab = queueing_lab(customers=2000)
    lab.arrival_rate.box.value = 0.97  # typed into the number box
    assert lab.model.outcome.arrival_rate == 0.97 and lab.arrival_rate.slider.value == 0.97
    assert "<b>0.97</b>" in lab.summary.value and lab.notice.value == ""
    lab.arrival_rate.slider.value = 1.02  # moved with the slider: the box follows
    assert lab.model.outcome.arrival_rate == 1.02 and lab.arrival_rate.box.value == 1.02
    lab.arrival_rate.box.value = 7.5  # within the lab, past the slider's end: the slider widens to show it
    assert lab.model.outcome.arrival_rate == 7.5
    assert lab.arrival_rate.slider.max == 7.5 and lab.arrival_rate.slider.value == 7.5
    lab.maxsize.box.value = 120
    assert lab.model.outcome.maxsize == 120 and lab.maxsize.slider.value == 120


@pytest.mark.parametrize(
    ("name", "typed", "kept", "note"),
    [
        ("arrival_rate", 50, 10.0, "⚠ λ = 50 is above the lab&#x27;s highest value, 10: set to 10"),
        ("service_rate", 0.001, 0.05, "⚠ μ = 0.001 is below the lab&#x27;s lowest value, 0.05: set to 0.05"),
        ("consumers", 40, 16, "⚠ c = 40 is above the lab&#x27;s highest value, 16: set to 16"),
        ("maxsize", -3, 0, "⚠ maxsize = -3 is below the lab&#x27;s lowest value, 0: set to 0"),
        ("arrival_rate", math.nan, 0.8, "⚠ λ must be a number from 0.05 to 10: kept at 0.8"),
    ],
)
def test_an_out_of_range_value_is_set_to_the_nearest_end_and_the_lab_says_so(name, typed, kept, note):
    lab = queueing_lab(customers=2000)
    getattr(lab, name).box.value = typed
    assert getattr(lab.model.outcome, name) == kept
    assert getattr(lab, name).box.value == kept and getattr(lab, name).slider.value == kept
    assert note in lab.notice.value and 'role="status"' in lab.notice.value
    lab.consumers.value = 2  # the next good value clears the note
    assert lab.notice.value == ""


def test_settle_in_chinese(chinese):
    from asyncomm.labs.queueing_lab import settle

    assert settle("arrival_rate", 50, 0.8) == (10.0, "λ = 50 超过了实验的上限 10：已设为 10")
    assert settle("consumers", 2.5, 1) == (1, "c 必须是 1 到 16 之间的整数：保持为 1")
    with pytest.raises(TypeError, match=re.escape("unknown lab setting 'colour'; the settings are arrival_rate")):
        settle("colour", 1, 1)


# --- labels, theme, colour ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_control_is_labelled_in_the_course_language(language):
    set_language(language)
    try:
        lab = queueing_lab(customers=2000)
    finally:
        set_language("en")
    for name in SETTINGS:
        control = getattr(lab, name)
        assert control.slider.description and control.slider.tooltip == control.slider.description
        assert control.box.tooltip == control.slider.description  # the box's name for a screen reader
        assert bool(re.search(r"[\u4e00-\u9fff]", control.box.tooltip)) is (language == "zh")
    alt = re.search(r'alt="([^"]*)"', lab.plot.value).group(1)  # the plot's name for a screen reader
    assert alt.startswith("Left:" if language == "en" else "左图：") and "L = 4" in alt


def test_the_lab_html_takes_its_colours_from_the_theme():
    lab = queueing_lab(2.0, 1.0, customers=2000)
    lab.arrival_rate.box.value = 50  # shows the note too
    for html in (lab.summary.value, lab.notice.value):
        styles = "".join(re.findall(r"<style>(.*?)</style>", html, re.S)) + "".join(
            re.findall(r'style="([^"]*)"', html)
        )
        assert "var(--jp-" in styles
        assert not HEX_OUTSIDE_VAR.search(styles), HEX_OUTSIDE_VAR.findall(styles)


def test_simulation_and_theory_differ_by_more_than_colour():
    fig = view.plot_figure(QueueingLab(customers=2000).outcome)
    left, right = fig.axes
    styles = {line.get_label().split(" L")[0]: line.get_linestyle() for line in left.lines}
    assert styles == {"simulated (sampled)": "-", "simulated": ":", "theory": "--"}
    simulated, theory = right.containers
    assert {bar.get_hatch() for bar in simulated} == {None} and {bar.get_hatch() for bar in theory} == {"//"}


# --- the plot: sharp, and no label on another --------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_plot_is_drawn_at_twice_the_density_it_is_shown_at():
    lab = queueing_lab(customers=2000)
    image = re.fullmatch(
        r'<img src="data:image/png;base64,([^"]+)" alt="[^"]+" width="(\d+)" style="([^"]+)">', lab.plot.value
    )
    assert image is not None, lab.plot.value[:200]
    png, shown = base64.b64decode(image.group(1)), int(image.group(2))
    assert png == lab.png
    width, height = png_size(png)
    assert shown == 720 and width == 2 * shown  # a high-density screen gets a pixel per device pixel
    assert image.group(3) == "max-width:100%;height:auto"  # in a narrow window it shrinks, keeping its shape
    assert height == round(width * 3.2 / 9)


def drawn_figure(outcome, monkeypatch) -> Figure:
    """The figure render_plot turns into the lab's PNG, caught as it is saved."""
    caught: list[Figure] = []
    save = Figure.savefig

    def catch(fig, *args, **kwargs):
        caught.append(fig)
        return save(fig, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Figure, "savefig", catch)
        view.render_plot(outcome)
    return caught[0]


def label_boxes(fig: Figure) -> list[tuple[str, object]]:
    """(what, box in pixels) of every title, axis label, tick label shown and legend of ``fig``."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = []
    for index, ax in enumerate(fig.axes):
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, ax.xaxis.offsetText, ax.yaxis.offsetText]
        for axis in (ax.xaxis, ax.yaxis):
            texts += [tick.label1 for tick in axis._update_ticks()]  # the ticks drawn: those in view
        for text in texts:
            if text.get_visible() and text.get_text():
                boxes.append((f"axes {index}: {text.get_text()!r}", text.get_window_extent(renderer)))
        if ax.get_legend() is not None:
            boxes.append((f"axes {index}: legend", ax.get_legend().get_window_extent(renderer)))
    return boxes


def assert_no_label_collides(fig: Figure, state: str) -> None:
    boxes = label_boxes(fig)
    frame = fig.bbox
    for what, box in boxes:
        inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
        assert inside, f"{state}: {what} leaves the figure ({box} in {frame})"
    for (what_a, a), (what_b, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), f"{state}: {what_a} overlaps {what_b}"


# λ, μ, c, maxsize: calm, ρ near 1, heavy overload (an unbounded queue 200 times over capacity holds 5-digit
# numbers of messages for 5-digit numbers of seconds), bounded, many consumers, and the slowest service.
GRID = list(itertools.product([0.05, 0.99, 10.0], [0.05, 1.0], [1, 16], [0, 200]))


def test_no_label_overlaps_another_or_leaves_the_figure_in_any_state_of_the_lab(monkeypatch):
    lab = QueueingLab(customers=20_000)
    most = 0.0
    for arrival_rate, service_rate, consumers, maxsize in GRID:
        outcome = lab.update(arrival_rate=arrival_rate, service_rate=service_rate, consumers=consumers, maxsize=maxsize)
        most = max(most, float(outcome.simulation.in_system.max()))
        assert_no_label_collides(
            drawn_figure(outcome, monkeypatch), f"λ={arrival_rate} μ={service_rate} c={consumers} m={maxsize}"
        )
    assert most >= 10_000  # the grid holds the overload the learner saw: 5-digit tick labels


@pytest.mark.parametrize(("arrival_rate", "service_rate"), [(0.8, 1.0), (10.0, 0.05)])
def test_no_label_collides_in_chinese_either(chinese, monkeypatch, arrival_rate, service_rate):
    outcome = QueueingLab(arrival_rate, service_rate, customers=20_000).outcome
    fig = drawn_figure(outcome, monkeypatch)
    assert_no_label_collides(fig, f"zh λ={arrival_rate} μ={service_rate}")
