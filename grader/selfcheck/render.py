"""A self-check report as a notebook table (HTML) and as console text, in Korean or English.

The check messages are the checks' own (the same `evaluate` as a graded attempt); this
module adds the frame: which checks could not run and why, models never trained, a
saved file older than the kernel, and the last line on how a self-check differs from a
graded attempt. Every text from the notebook or the checks is made inert
(grader.textsafe) and HTML-escaped: nothing in the output is markup the notebook wrote.
"""

from __future__ import annotations

import datetime as dt
import html
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from grader.i18n import counted, text_n
from grader.i18n import text as tr
from grader.textsafe import inert

if TYPE_CHECKING:
    from grader.selfcheck.kernel import Report

EVIDENCE = {
    "practice": "selfcheck.evidence.practice",
    "self-reported": "selfcheck.evidence.self_reported",
    "file": "selfcheck.evidence.file",
}
LEGEND = "selfcheck.legend"
REASONS = {
    "fixed_answer": "selfcheck.reason.fixed_answer",
    "judge_needs_refs": "selfcheck.reason.judge_needs_refs",
    "unstorable": "selfcheck.reason.unstorable",
    "no_quiz_bank": "selfcheck.reason.no_quiz_bank",
    "no_notebook": "selfcheck.reason.no_notebook",
    "no_practice_data": "selfcheck.reason.no_practice_data",
    "stale_pack": "selfcheck.reason.stale_pack",
    "plan_failed": "selfcheck.reason.plan_failed",
    "quiz_pending": "selfcheck.reason.quiz_pending",
}
NOT_CHECKED = "selfcheck.not_checked"
CHECK_THEM = "selfcheck.check_them"
DIFFERENCE = "selfcheck.difference"


def _t(report: Report, key: str, **fields: Any) -> str:  # noqa: ANN401
    """The catalog entry `key` (grader/i18n/catalog/selfcheck.toml) in the report's language."""
    return tr(key, report.lang, **fields)


def _clean(text: Any) -> str:  # noqa: ANN401
    return inert(text, newlines=True)


def _points(x: float) -> str:
    return f"{x:g}"


def _notebook_name(report: Report) -> str:
    loc = report.located
    if loc is not None and loc.path is not None:
        return loc.path.name
    return report.notebook or "<notebook>.ipynb"


def notes(report: Report) -> list[str]:
    """The lines under the table: training, saving, how the notebook was found, what did not run."""
    out: list[str] = []
    for target, state in report.untrained.items():
        if state.get("optimizer") is None:
            out.append(tr("selfcheck.notes.was_never_compiled_or", report.lang, target=target))
        else:
            out.append(tr("selfcheck.notes.has_not_been_trained", report.lang, target=target))
    fresh = report.fresh
    quiz = any(r.get("kind") == "quiz" for r in report.results)
    save = (
        tr("selfcheck.notes.quiz_answers_come_from", report.lang)
        if quiz
        else tr("selfcheck.notes.save_notebook_ctrl_file", report.lang)
    )
    if fresh is not None:
        if fresh.other_session:
            out.append(tr("selfcheck.notes.saved_notebook_was_written", report.lang, save=save))
        elif fresh.unsaved:
            cells = ", ".join(f"In [{n}]" for n in fresh.unsaved[:6]) + (" …" if len(fresh.unsaved) > 6 else "")
            n = len(fresh.unsaved)
            out.append(text_n("selfcheck.notes.saved_notebook_older_than", n, report.lang, n=n, cells=cells, save=save))
        if fresh.edited and not fresh.other_session:
            cells = ", ".join(f"In [{n}]" for n in fresh.edited[:6])
            out.append(tr("selfcheck.notes.edited_after_ran_kernel", report.lang, cells=cells))
    loc = report.located
    if loc is not None and loc.how == "folder" and loc.path is not None:
        out.append(tr("selfcheck.notes.kernel_did_not_say", report.lang, name=loc.path.name))
    if loc is not None and loc.path is None and loc.live is None and loc.candidates:
        names = ", ".join(loc.candidates[:5])
        out.append(tr("selfcheck.notes.several_notebooks_are_in", report.lang, names=names))
    if report.notebook_problem and report.notebook_problem != "missing":
        out.append(tr("selfcheck.notes.notebook_file_could_not", report.lang, notebook_problem=report.notebook_problem))
    if report.probe_error:
        out.append(tr("selfcheck.notes.grader_probe_did_not", report.lang, probe_error=report.probe_error))
    if report.mode == "pack":
        out.append(tr("selfcheck.notes.judged_against_practice_pack", report.lang))
    if quiz and loc is not None and loc.path is not None and report.fresh is not None and report.fresh.saved_at:
        when = dt.datetime.fromtimestamp(report.fresh.saved_at).strftime("%H:%M:%S")
        out.append(tr("selfcheck.notes.quiz_answers_were_read", report.lang, name=loc.path.name, when=when))
    if quiz and loc is not None and loc.live is not None:
        out.append(tr("selfcheck.notes.quiz_answers_were_read_2", report.lang))
    return out


def unavailable_lines(report: Report) -> list[str]:
    lines = []
    for u in report.unavailable:
        reason = u.get("reason", "")
        why = _t(report, REASONS[reason]) if reason in REASONS else str(reason)
        if u.get("detail") and u.get("reason") in ("plan_failed", "no_notebook"):  # the cause, in its words
            why += f" ({u['detail']})"
        unit = _t(report, counted("selfcheck.unit.points", u.get("points")))
        lines.append(f"{u.get('title') or u.get('id')} ({_points(u.get('points', 0))}{unit}): {why}")
    return lines


def _heading(report: Report) -> str:
    title = report.title.get(report.lang) or report.title.get("en") or ""
    head = tr("selfcheck.heading.self_check", report.lang)
    return " · ".join(x for x in (head, report.exercise, title) if x)


def _mark(r: dict[str, Any]) -> str:
    return "✓" if r["passed"] else ("½" if r["points"] > 0 else "✗")


def text(report: Report, width: int = 100) -> str:
    """The console form."""
    if report.skipped:
        return tr("selfcheck.text.self_check_skipped_this", report.lang)
    if report.error is not None:
        msg = report.error.get(report.lang) or report.error.get("en", "")
        return _clean(tr("selfcheck.text.self_check_could_not", report.lang) + msg)
    lines = [_clean(_heading(report))]
    for r in report.results:
        ev = EVIDENCE.get(r.get("selfcheck_evidence", ""))
        lines.append(
            f"{_mark(r)} {_clean(r.get('title') or r['id'])}  "
            f"{_points(r['points'])}/{_points(r['max_points'])}  [{_t(report, ev) if ev else ''}]"
        )
        for para in _clean(r.get("message", "")).splitlines() or [""]:
            lines += textwrap.wrap(
                para, width, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False
            ) or ["    "]
    lines.append(
        _t(report, "selfcheck.text.practice_score", score=_points(report.score), max_score=_points(report.max_score))
    )
    if report.unavailable:
        lines.append(_t(report, NOT_CHECKED))
        lines += [f"  - {_clean(u)}" for u in unavailable_lines(report)]
        lines.append("    " + _t(report, CHECK_THEM))
    for n in notes(report):
        lines += textwrap.wrap(_clean(n), width, initial_indent="! ", subsequent_indent="  ", break_on_hyphens=False)
    lines += textwrap.wrap(
        _t(report, DIFFERENCE, notebook=_clean(_notebook_name(report))), width, break_on_hyphens=False
    )
    return "\n".join(lines)


_CSS_TABLE = "border-collapse:collapse;margin:4px 0;font-size:13px;line-height:1.45;width:100%"
_CSS_CELL = "border-bottom:1px solid rgba(127,127,127,.35);padding:4px 8px;text-align:left;vertical-align:top"
_COLOURS = {"✓": "#1a7f37", "½": "#9a6700", "✗": "#cf222e"}


def _h(value: Any) -> str:  # noqa: ANN401
    return html.escape(_clean(value)).replace("\n", "<br>")


def to_html(report: Report) -> str:
    """The notebook form: one table, then the notes, then the difference from a graded attempt."""
    if report.skipped or report.error is not None:
        colour = "#9a6700" if report.error is not None else "inherit"
        return f'<div class="grade-selfcheck" style="color:{colour}">{_h(text(report))}</div>'
    head = [
        "",
        *(
            _t(report, key)
            for key in (
                "selfcheck.column.check",
                "selfcheck.column.points",
                "selfcheck.column.message",
                "selfcheck.column.evidence",
            )
        ),
    ]
    rows = []
    for r in report.results:
        mark = _mark(r)
        ev = EVIDENCE.get(r.get("selfcheck_evidence", ""))
        rows.append(
            "<tr>"
            f'<td style="{_CSS_CELL};color:{_COLOURS[mark]};font-weight:bold">{mark}</td>'
            f'<td style="{_CSS_CELL};font-weight:bold">{_h(r.get("title") or r["id"])}</td>'
            f'<td style="{_CSS_CELL};white-space:nowrap">{_points(r["points"])}/{_points(r["max_points"])}</td>'
            f'<td style="{_CSS_CELL}">{_h(r.get("message", ""))}</td>'
            f'<td style="{_CSS_CELL};white-space:nowrap;opacity:.8">{_h(_t(report, ev) if ev else "")}</td>'
            "</tr>"
        )
    parts = [
        f'<div class="grade-selfcheck" lang="{report.lang}">',
        f'<div style="font-weight:bold;font-size:14px">{_h(_heading(report))}</div>',
        f'<table style="{_CSS_TABLE}"><thead><tr>'
        + "".join(f'<th style="{_CSS_CELL}">{_h(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>",
        f'<div style="font-weight:bold">{_h(tr("selfcheck.to_html.practice_score", report.lang))} '
        f"{_points(report.score)}/{_points(report.max_score)}</div>",
    ]
    if report.unavailable:
        items = "".join(f"<li>{_h(u)}</li>" for u in unavailable_lines(report))
        parts.append(
            f'<div style="margin-top:6px">{_h(_t(report, NOT_CHECKED))}'
            f'<ul style="margin:2px 0">{items}</ul>{_h(_t(report, CHECK_THEM))}</div>'
        )
    extra = notes(report)
    if extra:
        parts.append('<ul style="margin:6px 0;color:#9a6700">' + "".join(f"<li>{_h(n)}</li>" for n in extra) + "</ul>")
    parts.append(f'<div style="font-size:12px;opacity:.8;margin-top:4px">{_h(_t(report, LEGEND))}</div>')
    parts.append(
        f'<div class="grade-selfcheck-difference" style="margin-top:6px">'
        f"{_h(_t(report, DIFFERENCE, notebook=_notebook_name(report)))}</div>"
    )
    parts.append("</div>")
    return "".join(parts)


def show(report: Report) -> None:
    """In Jupyter and Colab the table (text/plain beside it for consoles); print() elsewhere."""
    plain = text(report)
    if "IPython" not in sys.modules:
        print(plain)
        return
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:
        print(plain)
        return
    display({"text/plain": plain, "text/html": to_html(report)}, raw=True)
