"""`grade quiz …`: list the bank, score an answer, ask interactively, validate.

Thin click layer over `grader.quiz`; it imports neither TensorFlow nor the
exercise engine, so these commands start in well under a second (the Korean
analyser loads only when an answer is scored).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from grader.errors import GradeError, SpecError


def _bank(course_dir: str | None) -> tuple[dict, Path]:
    from grader.course.loader import find_course
    from grader.quiz.bank import load_bank

    course = find_course(Path(course_dir) if course_dir else None, near=Path.cwd())
    if not course.quizzes_dir.is_dir():
        raise GradeError("this course has no quizzes/ folder", str(course.quizzes_dir))
    return load_bank(course.quizzes_dir), course.quizzes_dir


def _question(bank: dict, qid: str):  # noqa: ANN202
    if qid not in bank:
        near = [q for q in sorted(bank) if q.startswith(qid.split(".")[0])][:8]
        raise GradeError(f"no question {qid!r} in the bank (some ids: {', '.join(near or sorted(bank)[:8])})")
    return bank[qid]


COURSE = click.option("--course", "course_dir", default=None, type=click.Path(file_okay=False),
                      help="Course folder (default: found from the current directory).")


@click.group()
def quiz() -> None:
    """Free-text quiz questions scored in Korean or English."""


@quiz.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the bank as JSON.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
@COURSE
def list_(as_json: bool, lang: str, course_dir: str | None) -> None:
    """Show every question with its points and concepts."""
    bank, folder = _bank(course_dir)
    if as_json:
        click.echo(json.dumps([{"id": q.id, "points": q.points, "topic": q.topic, "prompt": q.prompt,
                                "concepts": [c.id for c in q.concepts],
                                "misconceptions": [m.id for m in q.misconceptions]} for q in bank.values()],
                              ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from grader.textsafe import inert

    # Text cells: prompts hold shapes like [batch, 7], which rich would take for markup.
    table = Table(title=Text(inert(f"{len(bank)} questions in {folder}")), show_lines=False)
    table.add_column("id", style="bold")
    table.add_column("pts", justify="right")
    table.add_column("topic")
    table.add_column("question")
    table.add_column("concepts", justify="right")
    for q in bank.values():
        table.add_row(Text(inert(q.id)), f"{q.points:g}", Text(inert(q.topic)), Text(inert(q.prompt[lang])),
                      str(len(q.concepts)))
    Console().print(table)


@quiz.command()
@click.argument("question_id")
@click.option("--answer", required=True, help="The answer text, or '-' to read it from stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (fields: docs/contracts.md).")
@COURSE
def score(question_id: str, answer: str, as_json: bool, course_dir: str | None) -> None:
    """Score one answer to QUESTION_ID."""
    from grader.quiz.scorer import score_answer

    bank, _ = _bank(course_dir)
    question = _question(bank, question_id)
    if answer == "-":
        answer = sys.stdin.read()
    result = score_answer(question, answer)
    if as_json:
        from grader.textsafe import json_inert

        click.echo(json_inert(json.dumps(result.to_dict(), ensure_ascii=False, indent=2)))
    else:
        _show(result)


@quiz.command()
@click.argument("question_id")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True,
              help="Language of the question shown.")
@COURSE
def ask(question_id: str, lang: str, course_dir: str | None) -> None:
    """Ask QUESTION_ID in the terminal and score the reply (end it with an empty line)."""
    from grader.quiz.scorer import score_answer

    bank, _ = _bank(course_dir)
    question = _question(bank, question_id)
    click.secho(f"{question.id} ({question.points:g}점/pts)", bold=True, err=True)
    click.echo(question.prompt[lang], err=True)
    click.echo("답을 입력하고 빈 줄에서 Enter / type your answer, then Enter on an empty line:", err=True)
    lines = []
    for line in sys.stdin:
        if not line.strip() and lines:
            break
        lines.append(line.rstrip("\n"))
    _show(score_answer(question, "\n".join(lines)))


@quiz.command()
@COURSE
def validate(course_dir: str | None) -> None:
    """Check every bank file and compile every pattern; exit 1 on the first problem."""
    bank, folder = _bank(course_dir)
    from grader.quiz.scorer import compiled

    for q in bank.values():
        comp = compiled(q)
        for item in [*q.concepts, *q.misconceptions]:
            for p in [*item.patterns, *item.unless]:
                for group in comp.alts(p):
                    if any(not alt for alt in group):
                        raise SpecError(f"{q.id} {item.id}: pattern {p.text!r} has an alternative with no "
                                        f"words left after analysis", q.source)
    click.echo(f"{folder}: {len(bank)} questions, "
               f"{sum(len(q.concepts) for q in bank.values())} concepts, "
               f"{sum(len(q.misconceptions) for q in bank.values())} misconceptions: ok")


def _show(result) -> None:  # noqa: ANN001
    from rich.console import Console
    from rich.text import Text

    from grader.textsafe import inert

    console = Console()
    style = "green" if result.fraction >= 0.8 else "yellow" if result.fraction >= 1 / 3 else "red"
    console.print(Text.assemble((inert(result.question), "bold"), "  ",
                                (f"{result.score:g}/{result.max_score:g}", style)))
    # The feedback may quote the answer: no escape sequence of it reaches the terminal.
    console.print(Text(inert(result.feedback, newlines=True)), highlight=False)
