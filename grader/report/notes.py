"""Meeting notes in Markdown, rendered to HTML that is safe to put in a page.

The group's minutes carry headings, lists, code, formulas, links and figures. Notes are
parsed by markdown-it-py (CommonMark with tables and strikethrough; raw HTML is shown as
text, never interpreted), `$…$` and `$$…$$` become MathML offline (latex2mathml: no
script, no network, and browsers draw MathML natively), fenced code is highlighted by
Pygments, and images must be files beside the meeting file. Whatever comes out then
passes through nh3 (Ammonia) with a short allowlist: no script, no event attributes, no
`javascript:` or `data:` links, no styles.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import shutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

from grader.errors import Phrase

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024

# What the renderer emits, and nothing else survives.
_HTML_TAGS = {
    "p",
    "br",
    "hr",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "span",
    "div",
    "em",
    "strong",
    "del",
    "s",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
}
_MATH_TAGS = {
    "math",
    "semantics",
    "annotation",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mfrac",
    "msqrt",
    "mroot",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "merror",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "math": {"display", "xmlns"},
    "annotation": {"encoding"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "largeop", "movablelimits", "accent"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mi": {"mathvariant"},
    "mspace": {"width"},
    "mtable": {"columnalign", "rowspacing", "columnspacing"},
    "mtd": {"columnalign"},
    "menclose": {"notation"},
    "mfrac": {"linethickness"},
    "mpadded": {"width", "lspace"},
}

# An image's `src` in the page, from its path beside the meeting file (None: leave it out).
ImageSink = Callable[[str], str | None]


def _shift_headings(state: StateCore) -> None:
    """A note's `#` is a heading inside a section that is already an <h3>: start at <h4>."""
    for tok in state.tokens:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, int(tok.tag[1]) + 3)}"


def _math(latex: str, options: dict[str, Any]) -> str:
    import latex2mathml.converter

    display = bool(options.get("display_mode"))
    try:
        return latex2mathml.converter.convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any LaTeX the converter cannot read is shown as written
        return f'<code class="math-error">{html.escape(latex)}</code>'


def _highlight(code: str, lang: str, _attrs: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    name = (lang or "").split()[0] if lang else ""
    if not name:
        return ""
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""  # markdown-it escapes it as plain code
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code class="language-{html.escape(name)}">{body}</code></pre>'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable(["table", "strikethrough"])
    # No "$5 and $10" as math: a dollar followed by a digit stays a dollar.
    md.use(dollarmath_plugin, allow_digits=False, double_inline=True, renderer=_math)
    md.core.ruler.push("shift_headings", _shift_headings)

    def image(self: Any, tokens: list[Any], idx: int, options: Any, env: dict[str, Any]) -> str:  # noqa: ANN401
        tok = tokens[idx]
        alt = self.renderInlineAsText(tok.children or [], options, env)
        sink: ImageSink | None = env.get("images")
        src = sink(str(tok.attrGet("src") or "")) if sink else None
        if src is None:
            return f'<span class="img-missing">{html.escape(alt)}</span>'
        title = tok.attrGet("title")
        extra = f' title="{html.escape(str(title))}"' if title else ""
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}"{extra}>'

    md.add_render_rule("image", image)
    return md


def _no_data_links(tag: str, attr: str, value: str) -> str | None:
    # Only an <img> may carry a data: URL (the figures we embed); a link to one is refused.
    if attr == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def sanitize(text: str) -> str:
    """HTML reduced to what notes may contain (also the last step of `render`)."""
    return nh3.clean(
        text,
        tags=_HTML_TAGS | _MATH_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=_no_data_links,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render(text: str, images: ImageSink | None = None, *, inline: bool = False) -> Markup:
    """A note as safe HTML. `inline`: one paragraph comes back without its <p> (a bullet)."""
    out = sanitize(_parser().render(text, {"images": images})).strip()
    if inline and out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return Markup(out)  # noqa: S704 - sanitized by nh3 just above


def image_sources(text: str) -> list[str]:
    """The `src` of every image a note shows, as written."""
    found: list[str] = []
    for tok in _parser().parse(text):
        for child in tok.children or []:
            if child.type == "image":
                found.append(str(child.attrGet("src") or ""))
    return found


def image_file(src: str, folder: Path) -> Path | Phrase:
    """The file an image `src` names inside `folder`, or why it cannot be used."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("/"):
        return Phrase("report.meeting.image.not_local", {"src": src})
    rel = PurePosixPath(unquote(parts.path))
    if not rel.parts or ".." in rel.parts:
        return Phrase("report.meeting.image.outside", {"src": src})
    if rel.suffix.lower() not in IMAGE_TYPES:
        return Phrase("report.meeting.image.not_a_picture", {"src": src, "formats": ", ".join(sorted(IMAGE_TYPES))})
    path = folder.joinpath(*rel.parts)
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
    except OSError:
        inside = False
    if not inside:
        return Phrase("report.meeting.image.outside", {"src": src})
    if not path.is_file():
        return Phrase("report.meeting.image.missing", {"src": src, "path": str(path)})
    if path.stat().st_size > MAX_IMAGE_BYTES:
        return Phrase("report.meeting.image.too_large", {"src": src, "mb": MAX_IMAGE_BYTES // (1024 * 1024)})
    return path


def image_problem(text: str, folder: Path) -> Phrase | None:
    """Why one of a note's images cannot be shown (None: all can)."""
    for src in image_sources(text):
        found = image_file(src, folder)
        if isinstance(found, Phrase):
            return found
    return None


def relative(src: str) -> str:
    """An image's path inside the meeting folder, normalised ("./fig/a.png" → "fig/a.png")."""
    return PurePosixPath(unquote(urlsplit(src).path)).as_posix().removeprefix("./")


def embed_images(folder: Path) -> ImageSink:
    """Images as data: URLs, for a page that is one file."""

    def sink(src: str) -> str | None:
        found = image_file(src, folder)
        if isinstance(found, Phrase):
            return None
        mime = IMAGE_TYPES.get(found.suffix.lower()) or mimetypes.guess_type(found.name)[0] or "image/png"
        return f"data:{mime};base64,{base64.b64encode(found.read_bytes()).decode('ascii')}"

    return sink


def copy_images(folder: Path, dest: Path, prefix: str = "") -> ImageSink:
    """Images copied under `dest` at their path inside `folder`, linked as `prefix/<that path>`
    (just the path without a prefix), for the site."""

    def sink(src: str) -> str | None:
        found = image_file(src, folder)
        if isinstance(found, Phrase):
            return None
        rel = relative(src)
        target = dest.joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
        return f"{prefix}/{rel}" if prefix else rel

    return sink


@lru_cache(maxsize=1)
def code_css() -> str:
    """Pygments' colours for highlighted code (inlined with the page's stylesheet)."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".note .highlight")
