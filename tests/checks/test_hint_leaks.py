"""A first failure tells what is wrong, never the answer (issue 16, item 4).

For every check of the eight exercises, the text a member sees on a first failure (the
check's message and its brief hint) is produced from answers that fail in the usual ways:
nothing defined, the wrong shape, wrong values, a model of one Dense layer. None of those
texts may hold the reference formula or code: Keras calls, `=` settings and assignments,
slices of the series, parameter-count formulas, or a code fragment of 20 characters or
more taken from the exercise's solution cells or the grader's reference functions. The
recipe holds all of that, and shows only at the full level (tests/checks/test_hints.py).
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.base import CheckSpec

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ["ch15.ex1", "ch15.ex2", "ch15.ex3", "ch15.ex4", "ch15.ex5", "ch15.ex6", "ch15.ex7", "ch15.ex8"]
FRAGMENT = 20  # characters of code (spaces left out) that count as copied

# What a formula or a line of code looks like in a sentence.
LEAKS = [
    ("a Keras call", re.compile(r"\bkeras\.\w|\blayers\.[A-Z]|\bInput\(")),
    ("a slice of the series", re.compile(r"\bseries\[")),
    ("a return_sequences setting", re.compile(r"return_sequences\s*=")),
    ("a key=value setting", re.compile(r"\b[A-Za-z_]\w*=(?!=)\S")),
    ("an assignment", re.compile(r"[\w\]\)]\s+=\s+(?!=)\S")),
    ("a parameter-count formula", re.compile(r"\b\d\s*[*·×]\s*\(|\b[a-z]\w*\s*[*·×]\s*\(\s*\w+\s*\+")),
    ("a gate update", re.compile(r"σ\(|\btanh\(|\bsigmoid\(")),
    ("a length formula", re.compile(r"//\s*\w+|\bceil\(")),
]


def _code_lines(source: str) -> list[list[str]]:
    """The code of a source text as token lists, one per logical line: no comments, no
    docstrings or long strings (prose, not code)."""
    lines: list[list[str]] = []
    current: list[str] = []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return lines
    for tok in tokens:
        if tok.type == tokenize.NEWLINE:
            if current:
                lines.append(current)
            current = []
        elif tok.type in skip or (tok.type == tokenize.STRING and len(tok.string) > 30):
            continue
        else:
            current.append(tok.string)
    if current:
        lines.append(current)
    return lines


def _fragments(source: str) -> set[str]:
    """Every run of two or more tokens of one line that spans at least FRAGMENT characters
    (without spaces). One identifier alone is a name the message may use ("make_seq2seq_targets")."""
    out: set[str] = set()
    for toks in _code_lines(source):
        for i in range(len(toks)):
            text = toks[i]
            for j in range(i + 1, len(toks)):
                text += toks[j]
                if len(text) >= FRAGMENT:
                    out.add(text)
                    break
    return out


def _solution_code(spec: Any) -> str:  # noqa: ANN401
    nb = json.loads((ROOT / "solutions" / spec.notebook).read_text(encoding="utf-8"))
    cells = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]
    # IPython lines (%magic, !shell) are not Python: leave them out.
    return "\n".join(
        "\n".join(ln for ln in cell.splitlines() if not ln.lstrip().startswith(("%", "!"))) for cell in cells
    )


@pytest.fixture(scope="module")
def reference_fragments(course) -> set[str]:  # noqa: ANN001
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "exercises" / "refs").glob("*.py")))
    return _fragments(text)


# --- answers that fail in the usual ways -------------------------------------------------


def _dense_only() -> dict[str, Any]:
    return {
        "type": "Sequential",
        "input_shape": [[None, 50, 1]],
        "layers": [
            {"class": "InputLayer", "config": {}},
            {"class": "Flatten", "name": "flatten", "config": {}, "params": 0, "output_shape": [None, 50]},
            {
                "class": "Dense",
                "name": "dense",
                "config": {"units": 3, "activation": "linear"},
                "params": 153,
                "output_shape": [None, 3],
            },
        ],
        "optimizer": {"class": "Adam", "config": {"learning_rate": 0.001}},
    }


def _shifted(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, (list, tuple)):
        return [_shifted(v) for v in value]
    arr = np.asarray(value)
    if np.issubdtype(arr.dtype, np.number):
        return (arr + 1).astype(arr.dtype) if np.issubdtype(arr.dtype, np.integer) else arr + 0.5
    return arr


def _answers(kind_name: str, plan: Any) -> list[dict[str, ProbeOutput]]:  # noqa: ANN401
    """Kernel outputs for the plan's requests, each set failing in its own way."""
    requests = plan.requests
    missing = "NameError: name 'x' is not defined in the notebook"
    sets = [{r["id"]: ProbeOutput(ok=False, error=missing) for r in requests}]
    tiny = {}
    for r in requests:
        if r["op"] == "describe":
            tiny[r["id"]] = ProbeOutput(ok=True, value=_dense_only())
        elif r["op"] == "value":
            tiny[r["id"]] = ProbeOutput(ok=True, value={"sentiment": "seq2seq", "simple_last": [5, 10, 2]})
        else:
            tiny[r["id"]] = ProbeOutput(ok=True, arrays=[np.zeros((1,), dtype=np.float32)])
    sets.append(tiny)
    expected = plan.private.get("expected")
    if isinstance(expected, list) and expected:
        if kind_name == "unrolled_step":
            wrong = {
                f"t{t}": ProbeOutput(ok=True, arrays=[np.asarray(a) for a in _shifted(list(e))])
                for t, e in enumerate(expected)
            }
        elif kind_name == "function_grid":
            wrong = {f"case{i}": ProbeOutput(ok=True, arrays=[np.asarray(_shifted(e))]) for i, e in enumerate(expected)}
        else:
            wrong = {
                r["id"]: ProbeOutput(ok=True, arrays=[np.asarray(a) for a in _shifted(list(expected))])
                for r in requests
                if r["op"] == "call"
            }
        sets.append(wrong)
    return sets


def first_failure_texts(course, exercise: str, lang: str) -> list[tuple[CheckSpec, str]]:  # noqa: ANN001
    """(check, text as the member sees it) for every failing answer of every code check."""
    spec = course.specs[exercise]
    out: list[tuple[CheckSpec, str]] = []
    for check in spec.code_checks:
        kind = KINDS[check.kind]
        ctx = GradeContext(seed=11, lang=lang, course=course, spec=spec)
        plan = kind.plan(check, ctx)
        for outputs in _answers(check.kind, plan):
            try:
                result = kind.evaluate(check, ctx, plan, outputs)
            except Exception:  # noqa: BLE001 - grading says "could not check" and adds the hint the same way
                result = kind.result(check, ctx, 0.0, "")
            if not result.passed:
                assert result.hint_level == "brief", (check.id, result.message)
                out.append((check, result.message))
    return out


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("exercise", EXERCISES)
def test_first_failures_hold_no_formula_and_no_code(
    course,
    reference_fragments,
    exercise: str,  # noqa: ANN001
    lang: str,
) -> None:
    fragments = reference_fragments | _fragments(_solution_code(course.specs[exercise]))
    texts = first_failure_texts(course, exercise, lang)
    assert {c.id for c, _ in texts} == {c.id for c in course.specs[exercise].code_checks}  # each one failed
    problems = []
    for check, text in texts:
        for what, pattern in LEAKS:
            m = pattern.search(text)
            if m:
                problems.append(f"{check.id}: {what} ({m.group(0)!r}) in {text!r}")
        flat = "".join(text.split())
        copied = sorted(f for f in fragments if f in flat)
        if copied:
            problems.append(f"{check.id}: solution or reference code {copied[0]!r} in {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_check_has_a_hint_and_a_recipe_in_both_languages(course, exercise: str) -> None:  # noqa: ANN001
    for check in course.specs[exercise].code_checks:
        for field in ("hint", "recipe"):
            values = getattr(check, field)
            assert set(values) == {"ko", "en"} and all(v.strip() for v in values.values()), (check.id, field)
        # The recipe is the level that may hold the formula: it must say more than the hint.
        assert check.recipe["en"] != check.hint["en"] and check.recipe["ko"] != check.hint["ko"]


def test_the_patterns_catch_what_the_old_hints_gave_away(course) -> None:  # noqa: ANN001
    """The old hints of issue 16, each caught by one of the patterns or the fragment test."""
    old = [
        "Use keras.Input(shape=(None, 1)) so any length works",
        "Y[:, t, k] is series[:, t + k + 1, 0] (k = 0…6).",
        "a GRU 3·(units·(units + features) + 2·units)",
        "c_new = σ(f)·c + σ(i)·tanh(g)",
        '"valid" gives (length - span) // strides + 1',
        "keep return_sequences=False on the last recurrent layer",
    ]
    for text in old:
        assert any(p.search(text) for _, p in LEAKS), text
    fragments = _fragments("def f(kernel_size, dilation_rate):\n    span = (kernel_size - 1) * dilation_rate + 1\n")
    assert any(f in "span(kernel_size-1)*dilation_rate+1" for f in fragments)
    assert not any(f in "make_seq2seq_targets" for f in _fragments("Y = make_seq2seq_targets(series)\n"))
    # Copied from the solution of exercise 5, without a pattern of its own.
    solution = _fragments(_solution_code(course.specs["ch15.ex5"]))
    old_hint = "then load the given ones with simple_rnn_cell.set_weights([kernel, recurrent_kernel, bias])"
    assert any(f in "".join(old_hint.split()) for f in solution)


TRAINING = re.compile(r"epoch|learning rate|undertrained|에포크|학습률|학습이 부족", re.IGNORECASE)
ONCE_RIGHT = {
    "en": re.compile(r"[Oo]nce (shapes and targets|the setup|structure and shapes) (are|is) right"),
    "ko": re.compile(r"(크기와 타깃이|설정이|구조와 크기가) 맞는데도"),
}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_training_advice_only_on_metric_checks_and_only_once_the_rest_is_right(course, exercise: str) -> None:  # noqa: ANN001
    """A data bug (an off-by-one target) must not be answered with "train longer" (issue 16)."""
    for check in course.specs[exercise].code_checks:
        for lang, text in check.hint.items():
            if check.kind != "model_metric":
                assert not TRAINING.search(text), (check.id, lang, text)
            elif TRAINING.search(text):
                assert ONCE_RIGHT[lang].search(text), (check.id, lang, text)
