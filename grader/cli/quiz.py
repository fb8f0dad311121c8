"""`grade quiz …`: list the bank, score an answer, ask interactively, validate.

Thin click layer over `grader.quiz`; it imports neither TensorFlow nor the
exercise engine, so these commands start in well under a second (the Korean
analyser loads only when an answer is scored).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.base import group
from grader.cli.common import LANG, QUIZ_LANG, json_doc, json_flag
from grader.errors import GradeError
from grader.i18n import text, text_n


def _bank(course_dir: str | None, analyser: bool = False) -> tuple[dict, Path]:
    """The course's bank; `analyser`: the command will score text, so the Korean analyser
    starts now, in the background, while the bank loads (see grader.quiz.korean.start)."""
    from grader.course.loader import find_course
    from grader.quiz.bank import load_bank

    course = find_course(Path(course_dir) if course_dir else None, near=Path.cwd())
    folder = course.quizzes_dir
    if not folder.is_dir():
        raise GradeError.told("cli.quiz.no_bank", str(folder))
    if analyser:
        from grader.quiz.bank import load_lexicon
        from grader.quiz.korean import start

        # the lexicon's nouns first: the analyser is made with them (load_bank reports a bad file)
        lexicon = folder / "lexicon.toml"
        start(load_lexicon(lexicon).nouns if lexicon.is_file() else frozenset())
    return load_bank(folder), folder


def _question(bank: dict, qid: str):  # noqa: ANN202
    if qid not in bank:
        near = [q for q in sorted(bank) if q.startswith(qid.split(".")[0])][:8]
        raise GradeError.told("cli.quiz.no_question", qid=qid, ids=", ".join(near or sorted(bank)[:8]))
    return bank[qid]


COURSE = click.option("--course", "course_dir", default=None, type=click.Path(file_okay=False), help="help.quiz.course")


@group(help="help.quiz.about")
def quiz() -> None:
    """Free-text quiz questions scored in Korean or English."""


@quiz.command("list", help="help.quiz.list.about")
@json_flag("help.quiz.list.json")
@LANG
@COURSE
def list_(as_json: bool, lang: str, course_dir: str | None) -> None:
    """Show every question with its points and concepts."""
    bank, folder = _bank(course_dir)
    if as_json:
        # json_doc: prompts come from bank files; a control or bidi character in one is escaped.
        click.echo(
            json_doc(
                [
                    {
                        "id": q.id,
                        "points": q.points,
                        "topic": q.topic,
                        "edition": q.edition,
                        "prompt": q.prompt,
                        "concepts": [c.id for c in q.concepts],
                        "misconceptions": [m.id for m in q.misconceptions],
                    }
                    for q in bank.values()
                ]
            )
        )
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from grader.textsafe import inert

    # Text cells: prompts hold shapes like [batch, 7], which rich would take for markup.
    table = Table(title=Text(inert(text("quiz.cli.questions_in", lang, n=len(bank), folder=folder))), show_lines=False)
    table.add_column("id", style="bold")
    table.add_column("pts", justify="right")
    table.add_column("topic")
    table.add_column(text("quiz.cli.edition", lang), justify="right")
    table.add_column("question")
    table.add_column("concepts", justify="right")
    for q in bank.values():
        table.add_row(
            Text(inert(q.id)),
            f"{q.points:g}",
            Text(inert(q.topic)),
            Text(inert(q.edition or "-")),
            Text(inert(q.prompt[lang])),
            str(len(q.concepts)),
        )
    Console().print(table)


HINTS = click.option(
    "--hints",
    type=click.Choice(["brief", "full"]),
    default="brief",
    show_default=True,
    help="help.quiz.hints",
)


def _score(question, answer: str, hints: str, lang: str, quiz_lang: str):  # noqa: ANN001, ANN202
    from grader.quiz.scorer import MAX_CHARS, score_answer

    if len(answer) > MAX_CHARS:
        raise GradeError.told("quiz.cli.too_long", length=len(answer), limit=MAX_CHARS)
    return score_answer(question, answer, reveal=hints == "full", lang=None if quiz_lang == "answer" else lang)


@quiz.command(help="help.quiz.score.about")
@click.argument("question_id")
@click.option("--answer", required=True, help="help.quiz.score.answer")
@json_flag("help.quiz.score.json")
@HINTS
@click.option("--explain", is_flag=True, help="help.quiz.score.explain")
@LANG
@QUIZ_LANG
@COURSE
def score(
    question_id: str,
    answer: str,
    as_json: bool,
    hints: str,
    explain: bool,
    lang: str,
    quiz_lang: str,
    course_dir: str | None,
) -> None:
    """Score one answer to QUESTION_ID."""
    bank, _ = _bank(course_dir, analyser=True)
    question = _question(bank, question_id)
    if answer == "-":
        answer = sys.stdin.read()
    result = _score(question, answer, hints, lang, quiz_lang)
    if explain and not as_json:
        from grader.quiz.validate import explain as why
        from grader.textsafe import inert

        for line in why(question, answer, lang):
            click.echo(inert(line), err=True)
    if as_json:
        click.echo(json_doc(result.to_dict()))
    else:
        _show(result, lang if quiz_lang == "lang" else result.lang)


@quiz.command(help="help.quiz.ask.about")
@click.argument("question_id")
@LANG
@QUIZ_LANG
@HINTS
@COURSE
def ask(question_id: str, lang: str, quiz_lang: str, hints: str, course_dir: str | None) -> None:
    """Ask QUESTION_ID in the terminal and score the reply (end it with an empty line)."""
    bank, _ = _bank(course_dir, analyser=True)
    question = _question(bank, question_id)
    click.secho(f"{question.id} ({text('quiz.cli.points', lang, points=question.points)})", bold=True, err=True)
    click.echo(question.prompt[lang], err=True)
    click.echo(text("quiz.cli.type_answer", lang), err=True)
    lines: list[str] = []
    for line in sys.stdin:
        if not line.strip() and lines:
            break
        lines.append(line.rstrip("\n"))
    result = _score(question, "\n".join(lines), hints, lang, quiz_lang)
    _show(result, lang if quiz_lang == "lang" else result.lang)


@quiz.command(help="help.quiz.validate.about")
@click.option("--question", "only", default=None, help="help.quiz.validate.question")
@json_flag("help.quiz.validate.json")
@LANG
@COURSE
def validate(only: str | None, as_json: bool, lang: str, course_dir: str | None) -> None:
    """Check every bank file, pattern, example answer and model answer; exit 1 on any problem."""
    from grader.cli.conventions import report_error

    bank, folder = _bank(course_dir)
    from grader.quiz.validate import check_question

    questions = [_question(bank, only)] if only else list(bank.values())
    problems = [p for q in questions for p in check_question(q)]
    counts = {
        "questions": len(questions),
        "concepts": sum(len(q.concepts) for q in questions),
        "misconceptions": sum(len(q.misconceptions) for q in questions),
        "examples": sum(len(i.examples) for q in questions for i in [*q.concepts, *q.misconceptions]),
    }
    if as_json:
        # One document with the problems in it; the error line goes to stderr alone.
        doc = {"folder": str(folder), **counts, "ok": not problems}
        doc["problems"] = [{"where": p.where, "message": p.message} for p in problems]  # English
        click.echo(json_doc(doc))
    else:
        from grader.textsafe import inert

        for p in problems:
            click.echo(inert(p.line(lang)), err=True)
    if problems:
        report_error(text_n("cli.quiz.validate_problems", len(problems), lang, n=len(problems), folder=folder))
        sys.exit(1)
    if not as_json:
        click.echo(text("cli.quiz.validate_ok", lang, folder=folder, counts=_counts_said(counts, lang)))


def _counts_said(counts: dict[str, int], lang: str) -> str:
    """What `grade quiz validate` counted: "12 questions, 1 concept, …"."""
    q, c, m, e = (counts[k] for k in ("questions", "concepts", "misconceptions", "examples"))
    return ", ".join(
        (
            text_n("cli.quiz.count.questions", q, lang, n=q),
            text_n("cli.quiz.count.concepts", c, lang, n=c),
            text_n("cli.quiz.count.misconceptions", m, lang, n=m),
            text_n("cli.quiz.count.examples", e, lang, n=e),
        )
    )


def _show(result, lang: str) -> None:  # noqa: ANN001
    # click's styling, not rich: importing rich alone costs a tenth of the one-answer budget
    from grader.cli.term import fmt_score
    from grader.textsafe import inert

    colour = "green" if result.fraction >= 0.8 else "yellow" if result.fraction >= 1 / 3 else "red"
    head = (
        click.style(inert(result.question), bold=True)
        + "  "
        + click.style(fmt_score(result.score, result.max_score), fg=colour)
        + f"  ({text('quiz.cli.confidence', lang, confidence=result.confidence)})"
    )
    if result.needs_review:
        # a provisional score: the teacher's band replaces it after review
        head += "  " + click.style(text("quiz.cli.needs_review", lang), fg="magenta", bold=True)
    click.echo(head)
    # The feedback may quote the answer: no escape sequence of it reaches the terminal.
    click.echo(inert(result.feedback, newlines=True))
