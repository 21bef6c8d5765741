"""The course's website (``python -m asyncomm site``): built once for this module, served on a loopback port and
read in headless Chromium (Debian's, through Playwright's ``executable_path``, as in test_browser.py), with
every request that leaves the site refused, since the site must work with no network."""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag

import pytest

from asyncomm.__main__ import main
from asyncomm.course import site
from asyncomm.course.site import MARKER, build_site, chapters

from .conftest import require_program
from .test_browser import CHROMIUM_FLAGS

CHAPTERS = [name for name, _ in chapters("en")]
#: Every page of one edition that a reader reaches from its index.
PAGES = ["index", *CHAPTERS, "glossary", "teachers-guide"]
EDITIONS = {"en": "zh", "zh": "en"}
#: An alt text that is only where the picture is stored ("_images/6b19....png"), not what it shows.
# What an image gets when it has no alt text of its own: its path (a slash alone is no sign: "L = ρ / (1 − ρ)").
FILE_NAME = re.compile(r"\.(png|jpe?g|gif|svg|webp)\b|_images[/\\]|[0-9a-f]{16}", re.I)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    build_site(out)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per request would bury a failure's report
        pass


@pytest.fixture(scope="module")
def served(built):
    """The site on a free loopback port (``http.server`` in a daemon thread): its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=built))
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def browser(served):
    chromium = require_program("chromium", "install it with: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def _open(browser, served):
    """A new page whose requests off the site are refused and recorded in ``page.off_site``, its script errors
    in ``page.errors``."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.off_site, page.errors = [], []

    def only_the_site(route):
        if route.request.url.startswith(served):
            route.continue_()
        else:
            page.off_site.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_site)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


#: The saved widget views of a page, and how many of them html-manager (vendored) has drawn: it draws each into
#: a div it inserts just before the view's script.
WIDGETS = """
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const drawn = views.filter(v => v.previousElementSibling &&
                                  v.previousElementSibling.querySelector('.jupyter-widgets')).length;
"""
#: What a page shows once loaded.
READ_PAGE = (
    """() => {"""
    + WIDGETS
    + """
  return {
    lang: document.documentElement.lang,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    images: [...document.images].map(img => ({src: img.src, alt: img.getAttribute('alt') || '',
                                             width: img.complete ? img.naturalWidth : 0})),
    views: views.length,
    rendered: drawn,
    switchTo: (document.querySelector('a.asyncomm-lang-switch') || {}).href || null,
  };
}"""
)


@pytest.fixture(scope="module")
def pages(browser, served):
    """Every page of both editions and the landing page, opened once: what each one shows, by URL path."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    seen, patience = {}, 15_000
    page = _open(browser, served)
    try:
        for path in ["index.html", *(f"{lang}/{name}.html" for lang in EDITIONS for name in PAGES)]:
            response = page.goto(f"{served}/{path}", wait_until="load")
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            try:
                page.wait_for_function("() => {" + WIDGETS + "return drawn === views.length; }", timeout=patience)
            except PlaywrightTimeout:  # not all drawn: the widget test names the page; the next ones wait less
                patience = 1_000
            seen[path] = page.evaluate(READ_PAGE)
        seen["off-site requests"], seen["script errors"] = page.off_site, page.errors
    finally:
        page.close()
    return seen


def test_no_page_asks_the_network_for_anything_or_fails_a_script(pages):
    assert pages["off-site requests"] == []
    assert pages["script errors"] == []


def test_the_landing_page_maps_every_chapter_of_both_editions(pages, served):
    links = set(pages["index.html"]["links"])
    for name in CHAPTERS:
        assert f"{served}/en/{name}.html" in links and f"{served}/zh/{name}.html" in links
    assert f"{served}/zh/index.html" in links
    assert pages["en/index.html"]["lang"] == "en" and pages["zh/index.html"]["lang"] == "zh-CN"


def test_every_internal_link_of_every_page_leads_somewhere(pages, served):
    targets = {
        urldefrag(link).url
        for path, page in pages.items()
        if path.endswith(".html")
        for link in page["links"]
        if link.startswith(served)
    }
    assert len(targets) > 2 * len(PAGES)
    broken = []
    for url in sorted(targets):  # each once
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                answer.read(1)
        except urllib.error.HTTPError as err:
            broken.append(f"{url}: {err.code}")
    assert broken == []


def test_every_image_loads(pages):
    images = [(path, image) for path, page in pages.items() if path.endswith(".html") for image in page["images"]]
    assert len(images) > 20  # the chapters' plots, in both editions
    assert [(path, image["src"]) for path, image in images if image["width"] == 0] == []


def test_every_image_has_alt_text_that_says_what_it_shows(pages):
    """Fails until every plot cell carries ``"mystnb": {"image": {"alt": ...}}`` metadata in both editions."""
    missing = [
        f"{path}: {image['src'].rsplit('/', 1)[-1]} alt={image['alt']!r}"
        for path, page in pages.items()
        if path.endswith(".html")
        for image in page["images"]
        if not image["alt"].strip() or FILE_NAME.search(image["alt"])
    ]
    assert missing == []


def test_every_saved_widget_is_drawn_as_a_widget_not_as_text(pages):
    with_widgets = {path: page for path, page in pages.items() if path.endswith(".html") and page["views"]}
    assert {"en/02b-three-patterns.html", "zh/02b-three-patterns.html"} <= set(with_widgets)
    assert {path: (page["rendered"], page["views"]) for path, page in with_widgets.items()} == {
        path: (page["views"], page["views"]) for path, page in with_widgets.items()
    }


def test_the_queue_widget_shows_its_saved_state_with_real_buttons(browser, served):
    page = _open(browser, served)
    try:
        page.goto(f"{served}/zh/02b-three-patterns.html")
        queue = page.locator(".ac-queue-widget").first
        queue.wait_for()
        assert queue.locator("button.ac-queue-send").count() == 1
        assert queue.locator(".ac-queue-message input").input_value() != ""
    finally:
        page.close()


@pytest.mark.parametrize("language", list(EDITIONS))
def test_each_page_switches_to_the_same_page_of_the_other_edition(pages, served, language):
    other = EDITIONS[language]
    assert {name: pages[f"{language}/{name}.html"]["switchTo"] for name in PAGES} == {
        name: f"{served}/{other}/{name}.html" for name in PAGES
    }


def test_following_the_language_switch_opens_the_chapter_in_the_other_language(browser, served):
    page = _open(browser, served)
    try:
        page.goto(f"{served}/en/03a-mechanisms.html")
        page.locator("a.asyncomm-lang-switch").click()
        page.wait_for_url(f"{served}/zh/03a-mechanisms.html")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator("a.asyncomm-lang-switch").inner_text().strip() == "English"
    finally:
        page.close()


# The command line, without a browser.


def test_site_refuses_a_file_for_out_with_one_line(tmp_path, capsys):
    out = tmp_path / "site.html"
    out.write_text("mine", encoding="utf-8")
    assert main(["site", str(out)]) == 1
    assert capsys.readouterr().err == f"error: {out} is a file; choose a folder\n"
    assert out.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("dangling", [False, True])
def test_site_refuses_a_symbolic_link_for_out_with_one_line(tmp_path, capsys, dangling):
    elsewhere = tmp_path / "elsewhere"
    if not dangling:
        elsewhere.mkdir()
    out = tmp_path / "out"
    out.symlink_to(elsewhere, target_is_directory=True)
    assert main(["site", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"error: {out} is a symbolic link (to {elsewhere}); asyncomm never writes through a link: "
        f"choose another folder, or remove the link\n"
    )
    assert not dangling or not elsewhere.exists()
    assert dangling or list(elsewhere.iterdir()) == []


def test_site_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["site", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is not empty and was not made by 'python -m asyncomm site'; choose a new or empty folder\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_site_says_what_to_install_without_sphinx(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(site, "find_spec", lambda name: None if name == "myst_nb" else object())
    assert main(["site", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == (
        "error: the site command needs myst_nb; install them with: pip install 'asyncomm[site]'\n"
    )
    assert not (tmp_path / "out").exists()


def test_lab_refuses_a_file_for_its_folder_with_one_line(tmp_path, capsys):
    out = tmp_path / "course"
    out.write_text("mine", encoding="utf-8")
    assert main(["lab", "--no-launch", "--lang", "en", str(out)]) == 1
    assert capsys.readouterr().err == f"error: {out} is a file; choose a folder\n"


def test_site_rebuilds_into_the_folder_it_made_in_the_locales_language(built, capsys, monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    (built / "en" / "stale.html").write_text("from an older build", encoding="utf-8")
    (built / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["site", str(built)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"网站已生成到 {built.resolve()}"
    assert not (built / "en" / "stale.html").exists()  # the edition was replaced, not added to
    assert (built / "notes.txt").read_text(encoding="utf-8") == "mine"  # what is not the site's is left alone
    assert sorted(p.name for p in built.iterdir()) == sorted([MARKER, "en", "index.html", "notes.txt", "zh"])
    assert (built / "zh" / "02b-three-patterns.html").is_file()
