"""Every user-facing error of the packages below comes from the string catalog (#16): a
`GradeError` (or a subclass) is made with `.told(key, path, **fields)`, never from an English
string literal or f-string, so `grade: error:` lines follow `--lang`. The coordinator adds a
package to `CATALOGUED` once its errors are converted."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from grader import ids
from grader.course.spec import load_spec
from grader.errors import GradeError, Phrase, SpecError

ROOT = Path(__file__).resolve().parents[1]

# Packages (folders) and modules of grader/ whose GradeErrors must all be catalog entries.
CATALOGUED = (
    "grader/batch",
    "grader/checks",
    "grader/cli",
    "grader/course",
    "grader/execution",
    "grader/quiz",
    "grader/report",
    "grader/results",
    "grader/selfcheck",
    "grader/errors.py",
    "grader/grading.py",
    "grader/ids.py",
    "grader/notebook.py",
    "grader/offline.py",
    "grader/runnotes.py",
    "grader/submission.py",
)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@cache
def grade_error_classes(root: Path = ROOT / "grader") -> frozenset[str]:
    """The names of GradeError and every class of grader/ derived from it (by name, through
    any number of steps)."""
    bases: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(n for b in node.bases if (n := _name(b)))
    found = {"GradeError"}
    while True:
        more = {cls for cls, of in bases.items() if of & found} - found
        if not more:
            return frozenset(found)
        found |= more


def _is_text(node: ast.expr) -> bool:
    """A message written in the code: a string literal, an f-string, or one built from them
    ("…" + x, "…" % x, "…".format(x), "; ".join(…))."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _is_text(node.func.value)
    return False


def violations(source: str, where: str, classes: frozenset[str]) -> list[str]:
    """`where:line: Class(...)` for each error of `classes` built from a written message."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _name(node.func) not in classes:
            continue
        message = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "message"), None)
        if message is not None and _is_text(message):
            out.append(f"{where}:{node.lineno}: {_name(node.func)}(...) from a written message; use .told(key, ...)")
    return out


def _files() -> list[Path]:
    files: list[Path] = []
    for entry in CATALOGUED:
        path = ROOT / entry
        assert path.exists(), f"{entry} is listed in CATALOGUED but does not exist"
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def test_errors_of_the_catalogued_packages_come_from_the_catalog() -> None:
    classes = grade_error_classes()
    found = [
        v
        for path in _files()
        for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), classes)
    ]
    assert not found, "\n".join(found)


def test_the_subclasses_are_found_through_every_step() -> None:
    classes = grade_error_classes()
    # direct (SpecError), two steps (AlreadyGraded < GradebookError < GradeError), elsewhere (Refused)
    assert {"GradeError", "SpecError", "GradebookError", "AlreadyGraded", "UnknownExercise"} <= classes
    assert "CatalogError" not in classes and "ValueError" not in classes


@pytest.mark.parametrize(
    "line",
    [
        'raise GradeError("is a folder")',
        'raise SpecError(f"bad {x}", str(path))',
        'raise GradebookError("nothing to grade: " + "; ".join(w))',
        'raise UnknownExercise("unknown {}".format(x))',
        'raise errors.InvalidNotebook(message="empty file")',
        'err = AlreadyGraded("%s graded" % who)',
    ],
)
def test_a_written_message_is_caught(line: str) -> None:
    classes = grade_error_classes()
    assert violations(line, "x.py", classes) == [
        f"x.py:1: {line.split('(')[0].split()[-1].split('.')[-1]}(...) from a written message; use .told(key, ...)"
    ]


@pytest.mark.parametrize(
    "line",
    [
        'raise GradeError.told("errors.notebook.folder", str(path))',
        "raise AlreadyGraded(attempt, path)",
        'raise ValueError(f"{where}: not closed")',  # a bug of the grader stays a plain exception
        "raise SpecError(problem)",  # a value handed on, not a message written here
    ],
)
def test_a_catalog_error_or_a_plain_exception_passes(line: str) -> None:
    assert violations(line, "x.py", grade_error_classes()) == []


# --- what the catalog entries say, in both languages ------------------------------------


def test_a_phrase_field_is_said_in_the_readers_language() -> None:
    with pytest.raises(GradeError) as info:
        ids.member_id("-jimin", Phrase("errors.ids.where.folder"), "subs/-jimin/04_forecast7.ipynb")
    err = info.value
    assert str(err) == ("subs/-jimin/04_forecast7.ipynb: the folder '-jimin' cannot be a member id: it starts with '-'")
    assert err.said("ko") == "폴더 이름: '-jimin'은 멤버 ID로 쓸 수 없습니다: '-' 문자로 시작합니다"
    assert err.line("ko") == f"subs/-jimin/04_forecast7.ipynb: {err.said('ko')}"


def test_a_member_id_refused_for_its_characters_reads_as_korean() -> None:
    with pytest.raises(GradeError) as info:
        ids.member_id("지민|소라", "--member")
    assert info.value.said("ko") == (
        "--member: '지민|소라'는 멤버 ID로 쓸 수 없습니다: 쓸 수 없는 문자가 들어 있습니다: '|'. "
        "글자, 숫자, 공백과 . _ - @만 쓰세요"
    )
    assert ids.problem("지민|소라") == "it contains '|'; use letters, digits, spaces and . _ - @"


def test_a_cause_inside_an_error_is_told_in_the_same_language(tmp_path: Path) -> None:
    spec = tmp_path / "04_forecast7.toml"
    spec.write_text(
        'id = "ch15.ex4"\nnotebook = "04_forecast7.ipynb"\n\n[limits]\ncell_timout_s = 60\n', encoding="utf-8"
    )
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    assert str(info.value) == (f"{spec}:5: unknown key 'cell_timout_s' in [limits] (did you mean 'cell_timeout_s'?)")
    assert info.value.said("ko") == (
        "[limits]에 알 수 없는 키 'cell_timout_s'가 있습니다 ('cell_timeout_s'를 쓰려던 것인가요?)"
    )
    outer = SpecError.told(
        "errors.spec.in_check", "x.toml:3", label=Phrase("errors.spec.check_named", {"check_id": "q"}), cause=info.value
    )
    assert outer.said("ko") == f"'q' 검사: {spec}:5: {info.value.said('ko')}"
    assert outer.said("en") == f"check 'q': {info.value}"


def test_a_wrong_type_is_said_with_korean_type_words(tmp_path: Path) -> None:
    spec = tmp_path / "04_forecast7.toml"
    spec.write_text(
        'id = "ch15.ex4"\nnotebook = "04_forecast7.ipynb"\n\n[limits]\nmemory_mb = "lots"\n', encoding="utf-8"
    )
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    assert str(info.value) == f"{spec}:5: [limits] 'memory_mb' must be an integer (got the string 'lots')"
    assert info.value.said("ko") == "[limits] 'memory_mb': 정수여야 합니다 (받은 값: 문자열 'lots')"


def test_a_broken_spec_of_a_set_is_said_in_either_language(tmp_path: Path) -> None:
    from grader.course.spec import load_spec_set

    (tmp_path / "04_forecast7.toml").write_text(
        'id = "ch15.ex4"\nnotebook = "04_forecast7.ipynb"\n\n[[checks]]\nid = "a"\nkind = "nope"\npoints = 1\n',
        encoding="utf-8",
    )
    [problem] = load_spec_set(tmp_path).problems
    where = f"{tmp_path / '04_forecast7.toml'}:6"
    assert problem.message.startswith(f"{where}: check 'a': unknown check kind 'nope'")
    assert problem.said("ko").startswith(f"{where}: 'a' 검사: 알 수 없는 검사 종류 'nope'입니다")
