"""The Jinja2 environment (autoescape always on), the pages' words from the catalog, filters.

Member names, quiz answers, check messages and notebook output are untrusted:
they only ever reach a page through `{{ … }}` in an autoescaping template. The
only `Markup` we make ourselves is our own CSS and our own SVG charts (whose
text parts are rendered through the same autoescaping templates).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grader.i18n import LANGS as LANGS_
from grader.i18n import entries, text
from grader.i18n.catalog import has, template
from grader.report import notes
from grader.report.common import pick, yymmdd
from grader.report.figures import reviewed

HERE = Path(__file__).resolve().parent

# The pages' words are the catalog's `report.page.*` entries (grader/i18n/catalog/report.toml).
PAGE = "report.page."
LANGS = tuple(LANGS_)


def page_keys() -> list[str]:
    """The names templates use (`t.recorder`), in the catalog's order."""
    return [k[len(PAGE) :] for k in entries() if k.startswith(PAGE)]


class Strings:
    """`t.recorder` in templates; `t.fmt('window', since=…, until=…)` for the ones with fields."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang

    def __getattr__(self, key: str) -> str:
        if key.startswith("_") or not has(PAGE + key):
            raise AttributeError(key)
        return template(PAGE + key, self.lang)

    def __getitem__(self, key: str) -> str:
        if not has(PAGE + key):
            raise KeyError(key)
        return template(PAGE + key, self.lang)

    def keys(self) -> list[str]:
        return page_keys()

    def fmt(self, key: str, **fields: Any) -> str:  # noqa: ANN401
        return text(PAGE + key, self.lang, **fields)


_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def weekday(day: Any, lang: str) -> str:  # noqa: ANN401 - a date or datetime
    """The day of the week, short: 토 / Sat."""
    return _WEEKDAYS["ko" if lang == "ko" else "en"][day.weekday()]


def markdown(text: str, images: notes.ImageSink | None = None, inline: bool = False) -> Markup:
    """A note's Markdown as sanitized HTML (grader/report/notes.py)."""
    return notes.render(text, images, inline=inline)


def fmt_score(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


@lru_cache(maxsize=1)
def css() -> Markup:
    """Our own stylesheet, inlined into every page (pages work offline and from file://)."""
    return Markup((HERE / "static/report.css").read_text(encoding="utf-8") + "\n" + notes.code_css())


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates"), encoding="utf-8"),
        autoescape=True,  # everywhere, whatever the template's name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["yymmdd"] = yymmdd
    env.filters["score"] = fmt_score
    env.filters["pick"] = pick
    env.filters["markdown"] = markdown
    env.filters["weekday"] = weekday
    env.globals["reviewed"] = reviewed
    return env


def render(template: str, **ctx: Any) -> str:
    return environment().get_template(template).render(css=css(), **ctx)
