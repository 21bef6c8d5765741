"""Chapter 05a's queueing lab and its exercise feedback in a real browser: typed values, word wrapping, and text
that stays readable in JupyterLab's dark theme.

What the browser adds to tests/test_queueing_lab_view.py and the feedback test in tests/test_exercises.py:
JupyterLab's own CSS applies (its ``<pre>`` for plain output breaks words anywhere), and the colours are
the computed ones of the theme.
"""

from __future__ import annotations

import re

import pytest

from .test_browser import _chapter_run_in_chromium
from .test_browser import jupyterlab as jupyterlab  # the fixture, used by name

# The WCAG contrast of the text against the nearest background painted behind it, as the browser computes them.
CONTRAST = """
(el) => {
  const rgba = (css) => {
    const v = css.match(/[\\d.]+/g).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgba(getComputedStyle(node).backgroundColor);
    if (c[3] > 0.5) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255, 1];
  const fg = rgba(getComputedStyle(el).color);
  const mix = fg.slice(0, 3).map((x, i) => x * fg[3] + bg[i] * (1 - fg[3]));  // text drawn over its background
  const [a, b] = [lum(mix), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""


@pytest.fixture
def own_settings(tmp_path, monkeypatch):
    """JupyterLab's user settings in the test's folder: switching the theme must not change it for anyone else.

    Listed before ``jupyterlab`` in the test's arguments, so the server starts with this environment.
    """
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "user-settings"))
    return tmp_path / "user-settings"


def test_chapter_05a_lab_takes_typed_values_wraps_feedback_at_words_and_reads_in_the_dark_theme(
    own_settings, jupyterlab
):
    from playwright.sync_api import expect

    with _chapter_run_in_chromium(jupyterlab, "05a-bottlenecks-and-backpressure.ipynb") as page:
        lab = page.locator(".ac-qlab").first
        lab.scroll_into_view_if_needed()
        summary = lab.locator(".ac-qlab-summary-pane")
        expect(summary).to_contain_text("model M/M/1")
        plot = lab.locator(".ac-qlab-plot img")
        expect(plot).to_be_visible()
        expect(plot).to_have_attribute("alt", re.compile(r"^Left: the number of messages in the system over time"))
        natural, shown = plot.evaluate("(img) => [img.naturalWidth, img.getBoundingClientRect().width]")
        assert natural == 2 * shown == 1440  # drawn at twice the density it is shown at: sharp on any screen
        box = lab.locator(".ac-qlab-arrival-rate input[type='number']")
        expect(box).to_have_accessible_name("arrival rate λ (/s)")  # what a screen reader calls the box
        box.fill("0.97")
        box.press("Enter")
        expect(summary).to_contain_text("= 0.97 / (1 × 1)")
        box.fill("50")
        box.press("Enter")
        expect(lab.locator(".ac-qlab-notice")).to_contain_text("λ = 50 is above the lab's highest value, 10: set to 10")
        expect(box).to_have_value("10")

        # Exercise feedback: JupyterLab's <pre> says break-all; the feedback's own box keeps words whole.
        feedback = page.locator(".ac-result").first
        feedback.scroll_into_view_if_needed()
        style = feedback.evaluate("(e) => { const s = getComputedStyle(e); return [s.wordBreak, s.overflowWrap]; }")
        assert style == ["normal", "break-word"]

        # The dark theme: every text of the lab and the feedback differs enough from what is behind it.
        page.get_by_role("menuitem", name="Settings", exact=True).click()
        page.locator(".lm-Menu-itemLabel", has_text="Theme").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
        expect(page.locator("body[data-jp-theme-light='false']")).to_have_count(1)
        assert (own_settings / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings").exists()
        texts = [
            lab.locator(".ac-qlab-table td").first,
            lab.locator(".ac-qlab-table th").first,
            lab.locator(".ac-qlab-note").first,
            lab.locator(".ac-qlab-notice").first,
            lab.locator(".ac-qlab-arrival-rate .widget-label").first,
            page.locator(".ac-result").first,
        ]
        for text in texts:
            text.scroll_into_view_if_needed()
            ratio = text.evaluate(CONTRAST)
            assert ratio >= 4.5, f"{text} has contrast {ratio:.2f} in the dark theme"
