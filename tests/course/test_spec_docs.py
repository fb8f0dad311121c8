"""docs/specs.md is generated from the models that validate specs, and kept in step."""

from __future__ import annotations

from pathlib import Path

from grader.checks import KINDS
from grader.course.specdoc import PAGE, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_spec_reference_is_up_to_date():
    page = (ROOT / PAGE).read_text(encoding="utf-8")
    assert page == render(), f"{PAGE} is out of date: run .venv/bin/python tools/gen_spec_docs.py"


def test_the_reference_lists_every_kind_with_every_key():
    text = render()
    for name, kind in KINDS.items():
        assert f"### {name}\n" in text
        for field_name, f in kind.Params.model_fields.items():
            assert f"| `{f.alias or field_name}` |" in text, (name, field_name)
    assert "| `cell_timeout_s` | number (> 0) | `120.0` |" in text
    assert "| `threshold` | number | required |" in text


def test_the_tool_checks_and_writes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_spec_docs", ROOT / "tools" / "gen_spec_docs.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    assert tool.main(["--check"]) == 0
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    assert tool.main(["--check"]) == 1  # no page there yet
    assert tool.main([]) == 0 and (tmp_path / PAGE).read_text(encoding="utf-8") == render()
