"""The saved notebook against the kernel's history: unsaved runs, edited cells, another session."""

from __future__ import annotations

from grader.selfcheck.freshness import freshness, only_selfcheck


def nb_with(*cells: tuple[int | None, str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": n, "source": src, "outputs": [], "metadata": {}}
            for n, src in cells
        ]
        + [{"cell_type": "markdown", "source": "# t", "metadata": {}}]
    }


def test_runs_after_the_last_save_are_unsaved():
    history = ["", "a = 1", "b = 2", "c = 3", "from grader import selfcheck\nselfcheck()"]
    saved = nb_with((1, "a = 1"), (2, "b = 2"), (None, "c = 3"))
    fresh = freshness(saved, history, current=5)
    assert fresh.unsaved == [3] and fresh.edited == [] and not fresh.other_session


def test_a_cell_run_twice_before_saving_is_saved():
    # In [1] and In [3] were the same cell; the file keeps its latest count only.
    history = ["", "x = 1", "y = 2", "x = 1", "selfcheck()"]
    fresh = freshness(nb_with((3, "x = 1"), (2, "y = 2")), history, current=5)
    assert fresh.unsaved == [] and fresh.edited == []


def test_a_cell_edited_after_it_ran():
    history = ["", "model = build(20)", "model.fit(X)"]
    fresh = freshness(nb_with((1, "model = build(64)"), (2, "model.fit(X)")), history, current=3)
    assert fresh.edited == [1] and fresh.unsaved == []


def test_a_file_saved_by_another_kernel_session():
    fresh = freshness(nb_with((40, "a = 1")), ["", "a = 1"], current=2)
    assert fresh.other_session


def test_earlier_selfcheck_cells_do_not_count_as_unsaved_work():
    history = [
        "",
        "a = 1",
        "# check\nfrom grader import selfcheck\nselfcheck('windows')",
        "import grader\ngrader.selfcheck()",
    ]
    fresh = freshness(nb_with((1, "a = 1")), history, current=4)
    assert fresh.unsaved == []
    assert not only_selfcheck("from grader import selfcheck\nmodel.fit(X)")
