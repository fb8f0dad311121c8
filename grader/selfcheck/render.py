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

from grader.textsafe import inert

if TYPE_CHECKING:
    from grader.selfcheck.kernel import Report

EVIDENCE = {
    "practice": ("practice data", "연습 데이터"),
    "self-reported": ("self-reported", "자기 보고"),
    "file": ("saved file", "저장된 파일"),
}
LEGEND = (
    "practice data: your functions and models ran on practice inputs here, and their outputs were compared "
    "with answers kept outside the kernel. self-reported: shapes, layers and causality as the kernel's objects "
    "report them; a graded attempt measures the saved model in a separate process that runs none of your code. "
    "saved file: read from the notebook file on disk.",
    "연습 데이터: 커널의 함수와 모델을 연습용 입력으로 실행하고, 커널 밖에 있는 정답과 비교했습니다. "
    "자기 보고: 지금 커널의 객체가 스스로 알려 준 크기, 층, 인과성입니다. 채점할 때는 저장한 모델을 "
    "노트북 코드 없이 별도 프로세스에서 불러와 측정합니다. 저장된 파일: 디스크에 저장된 노트북 파일에서 읽었습니다.",
)
REASONS = {
    "fixed_answer": (
        "its answer is the same for every seed, so the practice pack leaves it out (shipping it would give the "
        "graded answer away)",
        "정답이 시드와 상관없이 늘 같아서 연습용 자료에 넣지 않았습니다 (넣으면 채점 정답을 알려 주는 셈입니다)"),
    "judge_needs_refs": (
        "judging it needs the course's reference functions, which the practice pack does not include",
        "판정하려면 강의의 기준 구현이 필요한데, 연습용 자료에는 기준 구현이 들어 있지 않습니다"),
    "unstorable": ("its practice data cannot be stored in a practice pack",
                   "이 검사의 연습 데이터는 연습용 자료에 담을 수 없는 형태입니다"),
    "no_quiz_bank": ("the practice pack does not include the quiz rubric",
                     "연습용 자료에 퀴즈 채점 기준이 들어 있지 않습니다"),
    "no_notebook": ("quiz answers are read from the saved notebook file, and none was found",
                    "퀴즈 답은 저장된 노트북 파일에서 읽는데, 그 파일을 찾지 못했습니다"),
    "no_practice_data": (
        "the practice pack has no data for it (the check is newer than the pack; write the pack again with "
        "grade selfcheck-pack)",
        "연습용 자료에 이 검사의 데이터가 없습니다 (자료를 만든 뒤에 생긴 검사입니다. grade selfcheck-pack으로 "
        "자료를 다시 만드세요)"),
    "stale_pack": (
        "the practice pack no longer matches the course (write it again with grade selfcheck-pack)",
        "연습용 자료가 지금 강의 내용과 맞지 않습니다 (grade selfcheck-pack으로 다시 만드세요)"),
    "plan_failed": ("its practice data could not be made", "연습 데이터를 만들지 못했습니다"),
    "quiz_pending": (
        'the answer is still being scored (the first answer of a session loads the Korean analyser, which '
        'can take a while): run selfcheck("quiz") again in a minute',
        '답안을 아직 채점하는 중입니다 (세션에서 처음 채점할 때 한국어 분석기를 불러오느라 시간이 걸릴 수 '
        '있습니다). 잠시 뒤 selfcheck("quiz")를 다시 실행하세요'),
}
NOT_CHECKED = ("Not checked in this self-check:", "이번 자체 점검에서 확인하지 못한 검사:")
CHECK_THEM = ("grade submit --dry-run in a terminal checks them.",
              "터미널에서 grade submit --dry-run을 실행하면 확인할 수 있습니다.")
DIFFERENCE = (
    "A self-check looks at this kernel's objects with practice data and records nothing. A graded attempt runs "
    "the whole notebook from the top in the sandbox, on a fresh seed, with time limits: a pass here is a good "
    "sign, not a grade. To grade it like an attempt without recording it, run this in a terminal: "
    "grade submit --dry-run {notebook}",
    "자체 점검은 지금 커널에 있는 객체를 연습용 데이터로 확인한 것이며, 아무것도 기록하지 않습니다. 채점은 "
    "샌드박스에서 노트북 전체를 처음부터 다시 실행하고, 매번 새로운 시드의 데이터와 시간 제한을 적용합니다. "
    "그러니 여기서 통과했다면 좋은 신호일 뿐 점수는 아닙니다. 기록 없이 채점과 똑같이 돌려 보려면 터미널에서 "
    "다음 명령을 실행하세요: grade submit --dry-run {notebook}",
)


def _t(report: Report, en: str, ko: str) -> str:
    return ko if report.lang == "ko" else en


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
            out.append(_t(report, f"`{target}` was never compiled or trained: run the cell that calls compile() "
                                  "and fit() first, then check again.",
                          f"`{target}` 모델은 컴파일도 학습도 하지 않은 상태입니다. compile()과 fit()을 호출하는 "
                          "셀을 먼저 실행한 뒤 다시 점검하세요."))
        else:
            out.append(_t(report, f"`{target}` has not been trained yet (its optimizer has not taken a single "
                                  "step): run the cell that calls fit(), then check again.",
                          f"`{target}` 모델은 아직 학습하지 않은 상태입니다 (옵티마이저가 가중치를 한 번도 "
                          "갱신하지 않았습니다). fit()을 호출하는 셀을 실행한 뒤 다시 점검하세요."))
    fresh = report.fresh
    quiz = any(r.get("kind") == "quiz" for r in report.results)
    save = (_t(report, "Quiz answers come from the saved file: save the notebook (Ctrl+S) and check again.",
               "퀴즈 답은 저장된 파일에서 읽으므로 노트북을 저장(Ctrl+S)한 뒤 다시 점검하세요.") if quiz else
            _t(report, "Save the notebook (Ctrl+S): the file you hand in is what gets graded.",
               "노트북을 저장(Ctrl+S)하세요. 채점하는 것은 제출한 파일입니다."))
    if fresh is not None:
        if fresh.other_session:
            out.append(_t(report, "The saved notebook was written by another kernel session (its execution "
                                  f"counts run ahead of this kernel's). {save}",
                          "저장된 노트북 파일은 다른 커널 세션에서 저장한 것입니다 (실행 번호가 이 커널보다 "
                          f"큽니다). {save}"))
        elif fresh.unsaved:
            cells = ", ".join(f"In [{n}]" for n in fresh.unsaved[:6]) + (" …" if len(fresh.unsaved) > 6 else "")
            n = len(fresh.unsaved)
            out.append(_t(report, f"The saved notebook is older than this kernel: {n} cell run(s) since the last "
                                  f"save ({cells}). {save}",
                          f"저장된 노트북 파일이 커널 상태보다 오래되었습니다: 마지막으로 저장한 뒤에 셀을 {n}번 "
                          f"실행했습니다 ({cells}). {save}"))
        if fresh.edited and not fresh.other_session:
            cells = ", ".join(f"In [{n}]" for n in fresh.edited[:6])
            out.append(_t(report, f"Edited after it ran: {cells}. The kernel still holds the code as it ran, so "
                                  "run the cell again before checking.",
                          f"실행한 뒤에 고친 셀이 있습니다: {cells}. 커널에는 고치기 전의 코드가 남아 있으니 "
                          "그 셀을 다시 실행한 뒤 점검하세요."))
    loc = report.located
    if loc is not None and loc.how == "folder" and loc.path is not None:
        out.append(_t(report, f"The kernel did not say which notebook it runs, so {loc.path.name} in the current "
                              "folder was read.",
                      f"커널이 어떤 노트북인지 알려 주지 않아 현재 폴더의 {loc.path.name} 파일을 읽었습니다."))
    if loc is not None and loc.path is None and loc.live is None and loc.candidates:
        names = ", ".join(loc.candidates[:5])
        out.append(_t(report, f"Several notebooks are in this folder ({names}); name yours with "
                              'selfcheck(notebook="…").',
                      f'이 폴더에 노트북이 여러 개 있어 어느 것인지 알 수 없습니다 ({names}). '
                      'selfcheck(notebook="…")로 지정하세요.'))
    if report.notebook_problem and report.notebook_problem != "missing":
        out.append(_t(report, f"The notebook file could not be read: {report.notebook_problem}",
                      f"노트북 파일을 읽지 못했습니다: {report.notebook_problem}"))
    if report.probe_error:
        out.append(_t(report, f"The grader's probe did not finish in this kernel: {report.probe_error}",
                      f"채점기의 검사 코드가 이 커널에서 끝까지 실행되지 못했습니다: {report.probe_error}"))
    if report.mode == "pack":
        out.append(_t(report, "Judged against a practice pack: the course's reference code is not on this machine.",
                      "연습용 자료로 판정했습니다. 이 컴퓨터에는 강의의 기준 구현 코드가 없습니다."))
    if quiz and loc is not None and loc.path is not None and report.fresh is not None and report.fresh.saved_at:
        when = dt.datetime.fromtimestamp(report.fresh.saved_at).strftime("%H:%M:%S")
        out.append(_t(report, f"Quiz answers were read from {loc.path.name}, saved at {when}.",
                      f"퀴즈 답은 {loc.path.name} 파일에서 읽었습니다 ({when}에 저장됨)."))
    if quiz and loc is not None and loc.live is not None:
        out.append(_t(report, "Quiz answers were read from the notebook open in Colab.",
                      "퀴즈 답은 Colab에 열려 있는 노트북에서 읽었습니다."))
    return out


def unavailable_lines(report: Report) -> list[str]:
    lines = []
    for u in report.unavailable:
        en, ko = REASONS.get(u.get("reason", ""), (u.get("reason", ""), u.get("reason", "")))
        why = _t(report, en, ko)
        if u.get("detail") and u.get("reason") in ("plan_failed", "no_notebook"):  # the cause, in its words
            why += f" ({u['detail']})"
        unit = _t(report, " pt" if u.get("points") == 1 else " pts", "점")
        lines.append(f"{u.get('title') or u.get('id')} ({_points(u.get('points', 0))}{unit}): {why}")
    return lines


def _heading(report: Report) -> str:
    title = report.title.get(report.lang) or report.title.get("en") or ""
    head = _t(report, "Self-check", "자체 점검")
    return " · ".join(x for x in (head, report.exercise, title) if x)


def _mark(r: dict[str, Any]) -> str:
    return "✓" if r["passed"] else ("½" if r["points"] > 0 else "✗")


def text(report: Report, width: int = 100) -> str:
    """The console form."""
    if report.skipped:
        return _t(report, "Self-check skipped: this notebook is being graded.",
                  "채점 중이라 자체 점검을 건너뜁니다.")
    if report.error is not None:
        msg = report.error.get(report.lang) or report.error.get("en", "")
        return _clean(_t(report, "The self-check could not run: ", "자체 점검을 할 수 없습니다: ") + msg)
    lines = [_clean(_heading(report))]
    for r in report.results:
        ev_en, ev_ko = EVIDENCE.get(r.get("selfcheck_evidence", ""), ("", ""))
        lines.append(f"{_mark(r)} {_clean(r.get('title') or r['id'])}  "
                     f"{_points(r['points'])}/{_points(r['max_points'])}  [{_t(report, ev_en, ev_ko)}]")
        for para in _clean(r.get("message", "")).splitlines() or [""]:
            lines += textwrap.wrap(para, width, initial_indent="    ", subsequent_indent="    ",
                                   break_on_hyphens=False) or ["    "]
    lines.append(_t(report, f"practice score {_points(report.score)}/{_points(report.max_score)}",
                    f"연습 점수 {_points(report.score)}/{_points(report.max_score)}"))
    if report.unavailable:
        lines.append(_t(report, *NOT_CHECKED))
        lines += [f"  - {_clean(u)}" for u in unavailable_lines(report)]
        lines.append("    " + _t(report, *CHECK_THEM))
    for n in notes(report):
        lines += textwrap.wrap(_clean(n), width, initial_indent="! ", subsequent_indent="  ", break_on_hyphens=False)
    lines += textwrap.wrap(_t(report, *DIFFERENCE).format(notebook=_clean(_notebook_name(report))), width,
                           break_on_hyphens=False)
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
    head = [_t(report, *pair) for pair in (("", ""), ("check", "검사"), ("points", "점수"),
                                            ("message", "설명"), ("evidence", "근거"))]
    rows = []
    for r in report.results:
        mark = _mark(r)
        ev = EVIDENCE.get(r.get("selfcheck_evidence", ""), ("", ""))
        rows.append(
            "<tr>"
            f'<td style="{_CSS_CELL};color:{_COLOURS[mark]};font-weight:bold">{mark}</td>'
            f'<td style="{_CSS_CELL};font-weight:bold">{_h(r.get("title") or r["id"])}</td>'
            f'<td style="{_CSS_CELL};white-space:nowrap">{_points(r["points"])}/{_points(r["max_points"])}</td>'
            f'<td style="{_CSS_CELL}">{_h(r.get("message", ""))}</td>'
            f'<td style="{_CSS_CELL};white-space:nowrap;opacity:.8">{_h(_t(report, *ev))}</td>'
            "</tr>")
    parts = [f'<div class="grade-selfcheck" lang="{report.lang}">',
             f'<div style="font-weight:bold;font-size:14px">{_h(_heading(report))}</div>',
             f'<table style="{_CSS_TABLE}"><thead><tr>'
             + "".join(f'<th style="{_CSS_CELL}">{_h(h)}</th>' for h in head)
             + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>",
             f'<div style="font-weight:bold">{_h(_t(report, "practice score", "연습 점수"))} '
             f'{_points(report.score)}/{_points(report.max_score)}</div>']
    if report.unavailable:
        items = "".join(f"<li>{_h(u)}</li>" for u in unavailable_lines(report))
        parts.append(f'<div style="margin-top:6px">{_h(_t(report, *NOT_CHECKED))}'
                     f'<ul style="margin:2px 0">{items}</ul>{_h(_t(report, *CHECK_THEM))}</div>')
    extra = notes(report)
    if extra:
        parts.append('<ul style="margin:6px 0;color:#9a6700">' + "".join(f"<li>{_h(n)}</li>" for n in extra) + "</ul>")
    parts.append(f'<div style="font-size:12px;opacity:.8;margin-top:4px">{_h(_t(report, *LEGEND))}</div>')
    parts.append(f'<div class="grade-selfcheck-difference" style="margin-top:6px">'
                 f'{_h(_t(report, *DIFFERENCE).format(notebook=_notebook_name(report)))}</div>')
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
