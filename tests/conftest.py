"""Shared fixtures: the repository's course, a CLI runner, and tiny test courses."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def course():
    from grader.course.loader import load_course

    return load_course(ROOT)


@pytest.fixture(scope="session")
def course_grades():
    """The course's solutions and starters, each graded once per process (tests/course_grades.py)."""
    from course_grades import CourseGrades

    from grader.course.loader import load_course

    # Its own course, not the `course` fixture: a test module may define a narrower one.
    return CourseGrades(load_course(ROOT))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def make_notebook(
    cells: list[tuple[str, str] | tuple[str, str, list[str]]], exercise: str | None = None, **metadata: object
) -> nbformat.NotebookNode:
    """A v4 notebook from (kind, source[, tags]) tuples."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if exercise:
        nb.metadata["grade"] = {"exercise": exercise, **metadata}
    for kind, source, *rest in cells:
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        if rest:
            cell.metadata["tags"] = rest[0]
        nb.cells.append(cell)
    return nb


def write_notebook(path: Path, nb: nbformat.NotebookNode) -> Path:
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


@pytest.fixture
def tiny_course(tmp_path: Path) -> Path:
    """A one-exercise course whose notebook needs no TensorFlow: fast kernel tests."""
    root = tmp_path / "course"
    (root / "exercises" / "specs").mkdir(parents=True)
    (root / "exercises" / "refs").mkdir()
    (root / "solutions").mkdir()
    (root / "course.toml").write_text('[course]\nid = "t"\ntitle = "tiny"\n', encoding="utf-8")
    (root / "exercises" / "refs" / "tiny.py").write_text(
        textwrap.dedent("""
        import numpy as np
        def probe(rng, n=5):
            return {"x": rng.normal(size=(n, 3)).astype("float32")}
        def double(x):
            return 2 * x
        def eval_data(rng, n=200):
            x = rng.normal(size=(n, 3)).astype("float32")
            return {"x": x}, x.sum(axis=1)
        def zeros(inputs, targets, rng):
            return np.zeros_like(targets)
    """),
        encoding="utf-8",
    )
    (root / "exercises" / "specs" / "01_tiny.toml").write_text(
        textwrap.dedent("""
        id = "t.ex1"
        notebook = "01_tiny.ipynb"
        title = "Tiny"
        [limits]
        cell_timeout_s = 10
        total_timeout_s = 30
        memory_mb = 1024
        [[checks]]
        id = "double"
        kind = "function_matches"
        points = 2
        target = "double"
        generator = "tiny:probe"
        reference = "tiny:double"
        hint = "Return 2 * x."
        [[checks]]
        id = "summer"
        kind = "model_metric"
        points = 3
        target = "summer"
        method = "call"
        evidence = "hidden-target"
        generator = "tiny:eval_data"
        metric = "mse"
        threshold = 0.01
        baselines = { zeros = "tiny:zeros" }
    """),
        encoding="utf-8",
    )
    nb = make_notebook(
        [
            ("markdown", "# Tiny"),
            (
                "code",
                "import numpy as np\n"
                "def double(x):\n    ### BEGIN SOLUTION\n    #> return None\n    return 2 * x\n    ### END SOLUTION\n",
            ),
            (
                "code",
                "def summer(x):\n    ### BEGIN SOLUTION\n    #> return np.zeros(len(x))\n"
                "    return x.sum(axis=1)\n    ### END SOLUTION\n",
            ),
        ],
        exercise="t.ex1",
    )
    write_notebook(root / "solutions" / "01_tiny.ipynb", nb)
    return root


def read_json(text: str) -> object:
    return json.loads(text)


# --- PostgreSQL: a throwaway server for the gradebook-on-a-server tests -------------


def _pg_bindir() -> Path | None:
    """Debian keeps initdb/pg_ctl in /usr/lib/postgresql/<version>/bin, off PATH; newest wins."""
    import shutil

    def version(d: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in d.parent.name.split(".") if p.isdigit())

    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True):
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root, the server runs as `postgres` (or `nobody`)."""
    import pwd

    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A real PostgreSQL server of our own on 127.0.0.1 (free port, trust auth, UTF-8), for the
    whole session: `postgresql://grade@127.0.0.1:PORT/grade_test`. The superuser `grade` may
    create more databases through it. Stopped and deleted at the end.

    Missing binaries skip the tests locally (run tools/install-postgres.sh) but fail on CI,
    where a skipped test would read as a passed one."""
    import shutil
    import subprocess
    import tempfile

    bindir = _pg_bindir()
    if bindir is None:
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
            "or on PATH; run tools/install-postgres.sh as root"
        )
        if _on_ci():
            pytest.fail(f"PostgreSQL tests cannot run on CI: {reason}", pytrace=False)
        pytest.skip(reason)

    owner = _pg_user()
    # Not pytest's tmp_path: /tmp/pytest-of-root is 0700, so the unprivileged server could not
    # enter it; and a short path keeps the unix socket under the 107-byte limit.
    base = Path(tempfile.mkdtemp(prefix="grade-pg-", dir="/tmp" if owner else None))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    as_user: dict[str, object] = {}
    if owner:
        uid, gid = owner
        for p in (base, sock):
            os.chown(p, uid, gid)
        as_user = {"user": uid, "group": gid, "extra_groups": []}
    # Our server only: PGDATA/PGPORT/PGHOST of the caller must not leak into initdb/pg_ctl.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"

    def run(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bindir / args[0]), *args[1:]],
            cwd=base,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            **as_user,
        )  # type: ignore[arg-type]

    def log_tail() -> str:
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no server log)"

    try:
        run("initdb", "-D", str(data), "-U", "grade", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed: {exc.stderr[-2000:]}", pytrace=False)

    port = 0
    started = False
    for _ in range(5):  # another process may grab the free port between probe and bind
        port = _free_port()
        # Durability is pointless for a throwaway cluster; fsync off keeps the tests fast.
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        r = run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", opts, "start", check=False)
        if r.returncode == 0:
            started = True
            break
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop", check=False, timeout=60)
        if "already in use" not in log_tail():
            break
    if not started:
        tail = log_tail()
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL from {bindir}: {tail}", pytrace=False)

    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=grade dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE grade_test")
        yield f"postgresql://grade@127.0.0.1:{port}/grade_test"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop", check=False, timeout=90)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's server (`pg_url`); dropped afterwards."""
    import uuid

    import psycopg

    name = f"gb_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- markers given by what a test uses -------------------------------------------------
# `make test-fast` leaves out kernel, postgres, browser and slow tests. postgres and browser
# follow from the fixtures a test asks for (a `location` parametrized "postgres" included), so
# a new test gets its marker without anyone remembering it. A test that starts a Jupyter
# kernel marks itself `kernel` (a module that only does that: `pytestmark =
# pytest.mark.kernel`) unless it is `slow` already; one that forgets is stopped by
# `_kernel_needs_its_marker`.

POSTGRES_FIXTURES = {"pg_url", "pg_db"}
BROWSER_FIXTURES = {"browser"}


# Debian's Chromium through Playwright, never `playwright install` (tools/install-browser-deps.sh).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium for one test module; under CI=true a missing browser fails the run
    instead of skipping (tests that use it are marked `browser`)."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (run tools/install-browser-deps.sh as root)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright for Python is missing (run tools/install-browser-deps.sh)"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# Kernel tests in files that other branches are editing; each gets its own marker there later.
KERNEL_TESTS = {
    "tests/quiz/test_quiz_cli.py::test_submit_scores_the_answer_cell_as_a_quiz_check",
    "tests/quiz/test_limits_and_confidence.py::test_submit_json_carries_the_review_flag",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if names & POSTGRES_FIXTURES or (callspec is not None and "postgres" in callspec.params.values()):
            item.add_marker(pytest.mark.postgres)
        if names & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if item.nodeid.split("[")[0] in KERNEL_TESTS:
            item.add_marker(pytest.mark.kernel)


async def _refuse_kernel(self: object, cmd: list[str], **kwargs: object) -> None:
    pytest.fail(
        "this test starts a Jupyter kernel: mark it @pytest.mark.kernel (make test-fast leaves those out)",
        pytrace=False,
    )


@pytest.fixture(autouse=True)
def _kernel_needs_its_marker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `kernel` cannot launch one in this process: every kernel the grader
    or a test starts goes through jupyter_client's LocalProvisioner. Kernels started by a
    child process (`grade submit` run as a command) or by a module-scoped fixture are not
    seen here; those tests are marked by hand."""
    if request.node.get_closest_marker("kernel") is not None or request.node.get_closest_marker("slow") is not None:
        return
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    monkeypatch.setattr(LocalProvisioner, "launch_kernel", _refuse_kernel)
