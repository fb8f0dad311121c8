"""One self-check output, as a notebook shows it, in real headless Chromium.

The HTML is what a kernel started by nbclient displayed for the self-check cell of the tiny
course's starter (a check that failed, with a message the notebook's own error shaped),
placed in a page the way Jupyter places an output. Chromium and Playwright as in
tests/report/test_site_browser.py (Debian's /usr/bin/chromium, never `playwright install`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

from .kernels import LiveKernel

pytestmark = pytest.mark.kernel  # every test here starts a Jupyter kernel

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    """The self-check cell's HTML output in Korean and English, from a real kernel."""
    import conftest

    root = conftest.tiny_course.__wrapped__(tmp_path_factory.mktemp("tiny"))
    nb = nbformat.read(root / "solutions" / "01_tiny.ipynb", as_version=4)
    # `double` returns a tag as its error: it must reach the page as text.
    nb.cells[
        1
    ].source = "import numpy as np\ndef double(x):\n    raise ValueError('<img src=x onerror=alert(1)> not yet')\n"
    path = write_notebook(root / "solutions" / "01_tiny.ipynb", nb)
    k = LiveKernel(path)
    try:
        k.run_cells()
        found = {}
        for lang in ("ko", "en"):
            outs = k.execute(f"from grader import selfcheck\nselfcheck(lang={lang!r})")
            found[lang] = next(o["data"]["text/html"] for o in outs if o.get("output_type") == "display_data")
    finally:
        k.close()
    return found


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>output</title></head>
<body style="font-family: sans-serif; margin: 16px; max-width: 1100px">
<div class="jp-OutputArea-output" data-mime-type="text/html">{html}</div></body></html>"""


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_table_renders_as_text(browser, outputs, lang, tmp_path):
    page_file = tmp_path / f"selfcheck-{lang}.html"
    page_file.write_text(PAGE.format(html=outputs[lang]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    dialogs, errors, requests = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    rows = page.locator(".grade-selfcheck table tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).locator("td")
    assert first.nth(0).inner_text() == "✗" and first.nth(2).inner_text() == "0/2"
    assert "<img src=x onerror=alert(1)> not yet" in first.nth(3).inner_text()  # shown, not run
    assert page.locator(".grade-selfcheck img, script").count() == 0
    assert rows.nth(1).locator("td").nth(0).inner_text() == "✓"
    difference = page.locator(".grade-selfcheck-difference").inner_text()
    if lang == "ko":
        assert "좋은 신호일 뿐 점수는 아닙니다" in difference
        assert page.locator("th", has_text="근거").count() == 1
    else:
        assert "a good sign, not a grade" in difference
    assert page.locator(".grade-selfcheck").bounding_box()["width"] <= 1100
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"selfcheck-{lang}.png"), full_page=True)
    assert dialogs == [] and errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    page.close()
