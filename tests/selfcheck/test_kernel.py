"""The kernel side's entry points without a kernel: a graded run checks nothing, and importing
the self-check loads nothing heavy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from grader.selfcheck import kernel
from grader.selfcheck.locate import KERNEL_SITE, in_graded_run


def test_the_grader_kernel_is_a_graded_run(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["/elsewhere", str(KERNEL_SITE)]))
    assert in_graded_run()
    report = kernel.run()
    assert report.skipped and report.results == []
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    assert not in_graded_run()


def test_importing_grader_loads_nothing_heavy():
    code = (
        "import sys; import grader; a = set(sys.modules); from grader import selfcheck; b = set(sys.modules);"
        "heavy = ('numpy', 'tensorflow', 'keras', 'kiwipiepy', 'grader.checks', 'grader.quiz', 'nbformat');"
        "print(sorted(m for m in b if m.split('.')[0] in heavy or m.startswith(heavy)));"
        "print(callable(selfcheck), grader.selfcheck is selfcheck)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out[0]
    assert out[1] == "True True"


def test_unknown_attribute_of_grader():
    import grader

    with pytest.raises(AttributeError):
        grader.not_a_thing  # noqa: B018 - the attribute access is the test
