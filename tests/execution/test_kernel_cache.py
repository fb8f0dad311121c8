"""The grader's pre-built matplotlib font cache: built once, shared read-only, never rebuilt by a kernel."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import nbformat
import pytest

from grader.course.spec import Limits
from grader.execution import kernel_cache
from grader.execution.policy import build_policy
from grader.execution.sandbox import Sandbox, bwrap_status


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Under /var/tmp, not pytest's 700 folder: a kernel without bubblewrap runs as another user.
    root = Path("/var/tmp") / f"grade-test-cache-{os.getpid()}-{tmp_path.name}"
    monkeypatch.setenv("GRADE_CACHE_DIR", str(root))
    yield root
    import shutil

    shutil.rmtree(root, ignore_errors=True)


def _state(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_ino, p.read_bytes()) for p in folder.iterdir()}


def test_the_cache_is_built_once_and_then_left_alone(cache_dir: Path) -> None:
    cache = kernel_cache.matplotlib_cache()
    assert cache is not None and Path(cache.folder).parent == cache_dir.resolve() / "kernel"
    assert kernel_cache.ensure(cache) == ""
    files = cache.files()
    assert [f.name for f in files] == [f.name for f in files if f.name.startswith("fontlist-")] and files
    assert json.loads(files[0].read_text())["_version"]  # matplotlib's own font list
    assert oct(Path(cache.folder).stat().st_mode & 0o777) == "0o755"
    assert all(oct(f.stat().st_mode & 0o777) == "0o644" for f in files)
    before = _state(Path(cache.folder))
    assert kernel_cache.ensure(cache) == ""
    assert _state(Path(cache.folder)) == before
    # Nothing half-built is left beside it.
    assert sorted(p.name for p in Path(cache.folder).parent.iterdir()) == [".lock", Path(cache.folder).name]


def test_two_graders_building_at_once_end_with_one_complete_cache(cache_dir: Path) -> None:
    cache = kernel_cache.matplotlib_cache()
    assert cache is not None
    problems: list[str] = []
    threads = [threading.Thread(target=lambda: problems.append(kernel_cache.ensure(cache))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == ["", "", ""]
    kept = [p for p in Path(cache.folder).parent.iterdir() if p.is_dir()]
    assert kept == [Path(cache.folder)]
    assert json.loads(cache.files()[0].read_text())["_version"]


def test_another_matplotlib_version_or_font_set_gets_its_own_cache(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = kernel_cache.matplotlib_cache()
    real = kernel_cache.metadata.version
    monkeypatch.setattr(kernel_cache.metadata, "version", lambda name: "0.0.1" if name == "matplotlib" else real(name))
    other = kernel_cache.matplotlib_cache()
    assert first is not None and other is not None and first.folder != other.folder and "0.0.1" in other.folder
    monkeypatch.setattr(kernel_cache.metadata, "version", real)
    monkeypatch.setattr(kernel_cache, "_fonts_state", lambda: b"a font was added")
    assert kernel_cache.matplotlib_cache().folder != first.folder  # type: ignore[union-attr]


def test_a_failed_build_leaves_the_kernel_to_build_its_own(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel_cache, "_BUILD", "raise SystemExit('no fonts today')")
    cache = kernel_cache.matplotlib_cache()
    assert cache is not None
    assert "no fonts today" in kernel_cache.ensure(cache)
    assert not Path(cache.folder).exists()
    assert [p.name for p in Path(cache.folder).parent.iterdir()] == [".lock"]


def test_the_policy_names_the_cache_and_the_bubblewrap_line_binds_it_read_only(cache_dir: Path, tmp_path: Path) -> None:
    pol = build_policy(Limits())
    (cache,) = pol.caches
    assert any(line.startswith("shared cache    matplotlib: ") for line in pol.describe())
    assert pol.to_dict()["caches"][0]["home_dir"] == ".config/matplotlib"
    sb = Sandbox(workdir=tmp_path / "run", policy=pol)
    sb.prepare()
    try:
        if not sb.bwrap:
            pytest.skip("no bubblewrap here")
        a = sb.bwrap_args()
        binds = [(a[i + 1], a[i + 2]) for i, x in enumerate(a) if x == "--ro-bind"]
        shared = sb.workdir / ".shared" / "matplotlib"
        # Bound inside the run folder: the host path (under /root, say) never shows in there.
        assert (cache.folder, str(shared)) in binds and not any(t == cache.folder for _, t in binds)
        link = sb.home / ".config" / "matplotlib" / cache.files()[0].name
        assert link.is_symlink() and os.readlink(link) == str(shared / cache.files()[0].name)
    finally:
        sb.dispose()
    # A cache folder inside the course is not shared (binding it would show part of the course).
    assert build_policy(Limits(), course_root=cache_dir).caches == ()


# --- in a kernel ---------------------------------------------------------------------

PROBE = r"""
import json, logging, os
logging.basicConfig(level=logging.INFO)
import matplotlib
import matplotlib.pyplot as plt
plt.plot([1, 2]); plt.savefig(os.path.join(os.environ["TMPDIR"], "p.png"))
cfg = matplotlib.get_cachedir()
name = [n for n in os.listdir(cfg) if n.startswith("fontlist-")][0]
path = os.path.join(cfg, name)
found = {"cachedir": cfg, "link": os.path.islink(path), "target": os.path.realpath(path)}
for what, act in [
    ("write_file", lambda: open(found["target"], "a").write("x")),
    ("new_file", lambda: open(os.path.join(os.path.dirname(found["target"]), "evil.json"), "w").write("{}")),
    ("remove", lambda: os.remove(found["target"])),
]:
    try:
        act()
        found[what] = "done"
    except OSError as exc:
        found[what] = exc.errno
print("RESULT", json.dumps(found))
"""


def _run_kernel() -> tuple[dict[str, object], str]:
    from grader.execution.runner import run_notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    outcome = run_notebook(nb, Limits(memory_mb=2048), probe_requests=[], probe_inputs={})
    assert outcome.status == "graded", (outcome.message, outcome.cell_errors)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    line = next(x for x in text.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :]), text


@pytest.mark.kernel
def test_kernels_read_the_shared_cache_and_cannot_write_it(cache_dir: Path) -> None:
    if not bwrap_status()[0]:
        pytest.skip("no bubblewrap here: kernels get a copy (next test)")
    cache = kernel_cache.matplotlib_cache()
    assert cache is not None
    before: dict[str, tuple[int, int, bytes]] | None = None
    for _ in range(2):
        found, text = _run_kernel()
        after = _state(Path(cache.folder))
        assert before is None or after == before  # the second kernel did not touch it either
        before = after
        assert found["link"] is True and found["target"].endswith("/.shared/matplotlib/" + cache.files()[0].name)
        assert str(cache_dir) not in found["target"]
        # Read-only bind: the kernel's user can neither change nor add nor remove a file.
        assert found["write_file"] != "done" and found["new_file"] != "done" and found["remove"] != "done"
        # matplotlib used the list: it logs this only when it scanned the fonts itself.
        assert "generated new fontManager" not in text and "building the font cache" not in text
        assert sorted(after) == [f.name for f in cache.files()]


@pytest.mark.kernel
def test_without_bubblewrap_the_kernel_gets_a_copy(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADE_SANDBOX_DISABLE", "bwrap")
    monkeypatch.setenv("GRADE_SANDBOX_QUIET", "1")
    cache = kernel_cache.matplotlib_cache()
    assert cache is not None and kernel_cache.ensure(cache) == ""
    before = _state(Path(cache.folder))
    found, text = _run_kernel()
    assert found["link"] is False and found["write_file"] == "done"  # its own copy, in its own home
    assert "generated new fontManager" not in text
    assert _state(Path(cache.folder)) == before
