"""A Chinese font for the plots (asyncomm.labs.fonts): Chinese labels are drawn with real glyphs, never tofu;
without a Chinese font the plots keep English labels and say once how to get one."""

from __future__ import annotations

import logging
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from asyncomm.i18n import set_language
from asyncomm.labs import fonts, timing

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh():
    """The course in Chinese for one test; English and matplotlib's settings restored after it."""
    with matplotlib.rc_context():
        set_language("zh")
        try:
            yield
        finally:
            set_language("en")
            plt.close("all")


def render(fig, caplog) -> list[str]:
    """Draw ``fig`` to PNG; the font complaints matplotlib made (missing glyphs, families not found)."""
    import io

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="matplotlib"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")  # as JupyterLab's inline backend draws
    complaints = [str(w.message) for w in caught if "Glyph" in str(w.message) or "font" in str(w.message).lower()]
    return complaints + [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib.font_manager")]


def test_a_chinese_figure_is_drawn_with_a_chinese_font_and_no_missing_glyph(zh, caplog):
    family = fonts.use_cjk_font()
    assert family is not None, "mplfonts is in the test extra: a Chinese font must be found"
    assert family in fonts.CANDIDATES or "CJK" in family or family in ("SimHei",)
    assert matplotlib.rcParams["font.sans-serif"][:2] == [family, "DejaVu Sans"]
    fig, ax = plt.subplots()
    ax.set_title("消息队列：发送与接收 → ρ ≥ 1 ✗ …")
    ax.set_xlabel("时间（秒）")
    ax.set_ylabel("排队中的消息数")
    ax.plot([-1, 0, 1], label="事件循环")
    ax.legend()
    assert render(fig, caplog) == []
    assert fonts.labels_language() == "zh"
    assert fonts.plot_tr("time (s)", "时间（秒）") == "时间（秒）"


def test_english_labels_need_no_chinese_font(monkeypatch, capsys):
    monkeypatch.setattr(fonts, "_found", fonts._UNSET)
    monkeypatch.setattr(fonts, "_installed_family", lambda: pytest.fail("English looked for a Chinese font"))
    assert fonts.labels_language() == "en" and fonts.plot_tr("time (s)", "时间（秒）") == "time (s)"
    assert capsys.readouterr().out == ""


def test_without_a_chinese_font_the_plots_keep_english_labels_and_say_so_once(zh, monkeypatch, capsys, caplog):
    monkeypatch.setattr(fonts, "_found", fonts._UNSET)
    monkeypatch.setattr(fonts, "_noted", False)
    monkeypatch.setattr(fonts, "CANDIDATES", ("No Such Chinese Font",))
    monkeypatch.setattr(fonts, "_mplfonts_dir", lambda: None)
    from asyncomm.labs import plots

    fig = plots.total_bars(timing.compare(4, 1.0, processes=2))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "total time (s)" and ax.get_title() == "4 tasks that each wait 1 s (virtual clock)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["model"]
    assert render(fig, caplog) == []
    plots.gantt(timing.run_tasks(3, 1.0, "asyncio"))  # a second plot: no second note
    assert capsys.readouterr().out == fonts.NO_FONT_NOTE + "\n"
    assert fonts.use_cjk_font() is None and fonts.labels_language() == "en"


def test_the_mplfonts_font_is_registered_when_the_machine_has_none(zh, monkeypatch):
    monkeypatch.setattr(fonts, "_found", fonts._UNSET)
    monkeypatch.setattr(fonts, "CANDIDATES", ("No Such Chinese Font",))
    assert fonts._mplfonts_dir() is not None, "mplfonts is in the test extra"
    family = fonts.cjk_font()
    assert family is not None and CHINESE.search(family) is None
    from matplotlib import font_manager

    assert family in {entry.name for entry in font_manager.fontManager.ttflist}


def test_import_asyncomm_loads_no_font_machinery():
    import subprocess
    import sys

    code = "import sys, asyncomm; print('asyncomm.labs.fonts' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False False"


def test_a_diagram_whose_first_text_comes_before_its_first_label_has_no_missing_glyph(zh, caplog):
    """A Text keeps the fonts it was made with: the error line of the seed's control flow (``✗ TypeError ...``,
    drawn before any translated label) once had only the Chinese font, which lacks ✗. Each plot function now
    sets the fonts before it makes its figure."""
    from asyncomm.course.locator import load_seed_example
    from asyncomm.labs.diagrams import control_flow

    matplotlib.rcParams["font.family"] = ["sans-serif"]  # as a fresh kernel has it
    fig = control_flow(load_seed_example()["main"])
    assert any("✗" in t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert render(fig, caplog) == []
