"""The static report site: index of meetings, a page per meeting, member and exercise.

Relative links only, CSS inline, charts as inline SVG: the folder works from file://,
from `grade site serve`, or copied anywhere.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GradeError
from grader.report import charts
from grader.report.meeting import load_meetings
from grader.report.minutes import Sources, load_sources, minutes_html, page_context
from grader.report.notes import copy_images
from grader.report.render import Strings, render

MARKER = ".grade-site"


@dataclass
class BuiltSite:
    root: Path
    pages: list[Path] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.root / "index.html"


def _write(path: Path, text: str, built: BuiltSite) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    built.pages.append(path)


def build_site(
    out: Path, *, site_dir: Path, gradebook: str | None, lang: str = "ko", specs: dict[str, Any] | None = None
) -> BuiltSite:
    """Render every page into a fresh temporary folder, then swap it in: a failed build
    never leaves half a site behind."""
    src = load_sources(site_dir=site_dir, gradebook=gradebook, specs=specs)
    meetings = load_meetings(site_dir / "meetings", src.roster)
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise GradeError.told("report.site.not_ours", str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".site-", dir=out.parent))
    try:
        built = _render_all(tmp, src, meetings, lang)
        (tmp / MARKER).write_text(
            "built by `grade site build`; the folder is replaced on every build\n", encoding="utf-8"
        )
        if out.exists():
            old = out.with_name(out.name + ".old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.chmod(out, 0o755)  # mkdtemp makes it 0700; a site is for reading
    return BuiltSite(out, [out / p.relative_to(tmp) for p in built.pages])


def _render_all(root: Path, src: Sources, meetings: list, lang: str) -> BuiltSite:
    built = BuiltSite(root)
    ctx = src.context(lang)
    base = page_context(src, lang)
    t = Strings(lang)
    now = ctx.progress()
    tz = src.roster.tz

    _write(
        root / "index.html",
        render(
            "index.html.j2",
            **base,
            nav=True,
            root="",
            ctx=ctx,
            progress=now,
            meetings=list(reversed(meetings)),
            people=now.people,
            exercises=now.exercises,
        ),
        built,
    )

    previous = None
    for m in meetings:
        # Figures keep their path beside the meeting file: the pages sit where the files did.
        images = copy_images(m.folder, root / "meetings")
        _write(
            root / "meetings" / f"{m.slug}.html",
            minutes_html(m, src, lang, previous=previous, images=images, site=True),
            built,
        )
        previous = m

    titles = {e.id: e.title for e in now.exercises}
    exmap = {e.id: e for e in now.exercises}
    for who in now.people:
        mine = [a for a in ctx.attempts if ctx.who(a.member) is who]
        member = src.roster.members.get(who.key)
        chart = charts.trend(mine, now.exercises, tz, t.fmt("chart_trend_label", name=who.name))
        _write(
            root / "members" / f"{who.slug}.html",
            render(
                "member.html.j2",
                **base,
                nav=True,
                root="../",
                ctx=ctx,
                who=who,
                progress=now,
                exercises=now.exercises,
                exmap=exmap,
                titles=titles,
                chart=chart,
                attempts=list(reversed(mine)),
                aliases=member.aliases if member else [],
            ),
            built,
        )

    for ex in now.exercises:
        tries = [a for a in ctx.attempts if a.exercise == ex.id]
        bests = [b for b in (now.cell(w, ex).best for w in now.people) if b is not None]
        label = t.fmt("chart_hist_label", title=ex.title)
        _write(
            root / "exercises" / f"{ex.slug}.html",
            render(
                "exercise.html.j2",
                **base,
                nav=True,
                root="../",
                ctx=ctx,
                ex=ex,
                progress=now,
                attempts=tries,
                tried=len({ctx.who(a.member).key for a in tries}),
                hist_best=charts.histogram([b.pct for b in bests], f"{label} ({t.dist_best})"),
                hist_all=charts.histogram([a.pct for a in tries], f"{label} ({t.dist_all})", color=charts.PALETTE[5]),
                missed=ctx.missed(tries),
                concepts=ctx.concepts(tries, limit=10),
            ),
            built,
        )
    return built
