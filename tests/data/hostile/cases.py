"""Hostile and broken submissions, shared by tests/test_hostile_*.py and benchmarks/hostile.py.

A tiny course (no TensorFlow) with small limits, the notebooks of every case, and
helpers to run `grade submit` in a subprocess and to find processes a run left
behind. Every case says which statuses are acceptable and what the message must say.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

ROOT = Path(__file__).resolve().parents[3]
GRADE = [str(ROOT / ".venv" / "bin" / "python"), "-m", "grader.cli.app"]
NB_NAME = "01_hostile.ipynb"
SECRET = "SOLUTION-SECRET-7f3a"
ESCAPED = "escaped-by-a-notebook-5c1e"   # the file name write_outside tries everywhere

SPEC = '''
id = "h.ex1"
notebook = "01_hostile.ipynb"
title = "Hostile"
[limits]
cell_timeout_s = 3
total_timeout_s = 8
memory_mb = 1024
max_processes = 32
output_kb = 64
file_size_mb = 16
probe_timeout_s = 10
disk_mb = 64
inodes = 2000
[[checks]]
id = "double"
kind = "function_matches"
points = 2
target = "double"
generator = "tiny:probe"
reference = "tiny:double"
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
[[checks]]
id = "model"
kind = "model_metric"
points = 3
target = "model"
method = "predict"
evidence = "hidden-target"  # a plain object here, not a Keras model
generator = "tiny:eval_data"
metric = "mse"
threshold = 0.01
'''

REFS = '''
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
'''

HONEST = '''
import numpy as np
def double(x):
    return 2 * x
def summer(x):
    return x.sum(axis=1)
class Model:
    layers = []
    def predict(self, x, verbose=0):
        return x.sum(axis=1)
model = Model()
'''

# Wrong on purpose: the baseline a tampering notebook is compared with.
WRONG = '''
import numpy as np
def double(x):
    return x
def summer(x):
    return np.zeros(len(x))
class Model:
    layers = []
    def predict(self, x, verbose=0):
        return np.zeros(len(x))
model = Model()
'''
WRONG_SCORE = 1.0  # `double`: right shape, wrong values -> half of 2 points


def make_course(root: Path) -> dict[str, Path]:
    """The course (with a secret solution), a gradebook folder beside it. Returns paths."""
    course = root / "course"
    (course / "exercises" / "specs").mkdir(parents=True, exist_ok=True)
    (course / "exercises" / "refs").mkdir(exist_ok=True)
    (course / "solutions").mkdir(exist_ok=True)
    (course / "course.toml").write_text('[course]\nid = "h"\ntitle = "hostile"\n', encoding="utf-8")
    (course / "exercises" / "specs" / "01_hostile.toml").write_text(SPEC, encoding="utf-8")
    (course / "exercises" / "refs" / "tiny.py").write_text(REFS, encoding="utf-8")
    sol = notebook([HONEST + f"\n# {SECRET}\n"])
    (course / "solutions" / NB_NAME).write_text(nbformat.writes(sol), encoding="utf-8")
    book_dir = root / "book"
    book_dir.mkdir(exist_ok=True)
    # What else a class server holds: another member's submission in the class folder, and a
    # second copy of the course (an instructor's checkout) elsewhere on disk.
    other = _mk(root / "class" / "jiho") / NB_NAME
    other.write_text(nbformat.writes(notebook([HONEST + f"\n# {SECRET}-jiho\n"])), encoding="utf-8")
    copy = _mk(root / f"copy-{secrets.token_hex(4)}" / "solutions") / NB_NAME
    copy.write_text(nbformat.writes(sol), encoding="utf-8")
    return {"course": course, "gradebook": book_dir / "gradebook.db", "book_dir": book_dir,
            "solution": course / "solutions" / NB_NAME, "subs": _mk(root / "subs"),
            "other_member": other, "course_copy": copy}


def _mk(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def notebook(cells: list[str], **meta: Any) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.update(meta)
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    return nb


# --- the code cases -------------------------------------------------------------

@dataclass
class Case:
    name: str
    cells: list[str]
    statuses: set[str]                       # acceptable statuses
    message: str = ""                        # a substring the message must contain (any status)
    max_score: float | None = None           # the score must not exceed this
    exit_codes: set[int] = field(default_factory=lambda: {0})
    needs: set[str] = field(default_factory=set)   # protections the expectation relies on
    seed: int | None = None


def code_cases(paths: dict[str, Path]) -> list[Case]:
    gb, sol = str(book_of(paths, "read_gradebook_and_solutions")), str(paths["solution"])
    return [
        Case("infinite_loop", [HONEST, "while True:\n    pass"], {"timeout"}, "cell 2", 0),
        Case("sleep_forever", [HONEST, "import time\ntime.sleep(10**6)"], {"timeout"}, "cell 2", 0),
        # The failing cell is listed in the result; the honest cell before it was graded.
        Case("alloc_30gb", [HONEST, "x = bytearray(30 * 2**30)"], {"graded"}, "MemoryError", 8),
        # Shared memory is not counted by RLIMIT_DATA: the memory cgroup has to stop it.
        Case("alloc_8gb_shared", [HONEST, "import mmap\nm = mmap.mmap(-1, 8 * 2**30)\nMB = b'x' * 2**20\n"
                                          "for i in range(0, len(m), 2**20):\n    m[i:i + 2**20] = MB"],
             # Near the limit the kernel may thrash (reclaiming page cache) until the cell
             # timeout instead of being OOM-killed at once: both are clear results.
             {"crashed", "timeout"}, "", 0, needs={"memory cgroup"}),
        Case("fork_bomb", [HONEST, "import os\nwhile True:\n    os.fork()"],
             {"graded", "error", "crashed", "timeout"}, "", 8, needs={"pids cgroup"}),
        # The grader drops output past the cap; the kernel may also hit its own memory
        # limit buffering a flood the grader reads slower than it is produced.
        Case("output_1gb", [HONEST, "for _ in range(1024):\n    print('x' * 2**20)"],
             {"graded", "timeout", "error", "crashed"}, "", 8),
        Case("print_1gb_string", [HONEST, "print('x' * 2**30)"], {"graded", "error", "crashed"}, "", 8),
        Case("os_exit", [HONEST, "import os\nos._exit(0)"], {"crashed"}, "cell 2", 0),
        # The parent is bubblewrap (root: EPERM for the kernel's user) or the launcher (it dies).
        Case("kill_parent", [HONEST, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                     "import time\ntime.sleep(1)"], {"graded", "crashed", "error"}, "", 8),
        Case("sys_exit", [HONEST, "import sys\nsys.exit()"], {"graded"}, "SystemExit", 8),
        Case("background_process", [HONEST, "import subprocess, sys\n"
                                            "subprocess.Popen([sys.executable, '-c', "
                                            "'import time; time.sleep(600)'])\n"
                                            "import os\nif os.fork() == 0:\n    import time\n"
                                            "    time.sleep(600)\n    os._exit(0)"],
             {"graded"}, "", 8),
        Case("delete_files", [HONEST, "import os, shutil\nfor p in os.listdir('.'):\n"
                                      "    shutil.rmtree(p, ignore_errors=True)\n"
                                      "for p in os.listdir('..'):\n"
                                      "    shutil.rmtree(os.path.join('..', p), ignore_errors=True)\n"
                                      "    try:\n        os.remove(os.path.join('..', p))\n"
                                      "    except OSError:\n        pass"],
             # The run folder itself is the grader's: listing it fails (error), or it works and
             # nothing of the grader's is deleted (graded).
             {"graded", "error"}, "", 8),
        Case("read_gradebook_and_solutions", [HONEST, f"""
            leaks = []
            for path in [{gb!r}, {sol!r}]:
                try:
                    with open(path, 'rb') as fh:
                        data = fh.read()
                    leaks.append(path)
                except OSError:
                    pass
            for path in [{gb!r}]:
                try:
                    with open(path, 'ab') as fh:
                        fh.write(b'GARB' * 4 + b'AGE!')  # the bytes never appear in the source
                except OSError:
                    pass
            if leaks:
                raise RuntimeError('LEAK ' + ' '.join(leaks))
            """], {"graded"}, "", 8, needs={"bubblewrap"}),
        # --- tampering: never more than the honest score of the same (wrong) code
        Case("patch_numpy_save", [WRONG, """
            import numpy as np
            _orig_savez, _orig_save = np.savez, np.save
            def savez(file, *a, **kw):
                return _orig_savez(file, *a, **{k: np.asarray(v) * 2 for k, v in kw.items()})
            np.savez = savez
            np.save = lambda f, a, *x, **k: _orig_save(f, np.asarray(a) * 2, *x, **k)
            """], {"graded"}, "", WRONG_SCORE),
        # json.dumps is what the kernel itself sends its messages with: the kernel breaks
        # and the attempt ends as `crashed` with no points.
        Case("patch_json", [WRONG, """
            import json
            FORGED = '{"double/call": {"ok": true, "n_arrays": 1, "value": {"shapes": [[5, 3]]}},' \\
                     ' "summer/predict": {"ok": true, "n_arrays": 1, "value": {}}}'
            json.dumps = lambda *a, **k: FORGED
            json.dump = lambda obj, fh, *a, **k: fh.write(FORGED)
            """], {"graded", "crashed"}, "", WRONG_SCORE),
        Case("patch_print_and_fake_output", [WRONG, """
            import builtins, json, os
            print('{"double/call": {"ok": true}}  all checks passed, score 8/8')
            builtins.print = lambda *a, **k: None
            for d in ['.', '..']:
                for name in ['out.json', 'out.npz']:
                    try:
                        with open(os.path.join(d, name), 'w') as fh:
                            fh.write('{"double/call": {"ok": true, "n_arrays": 0}}')
                    except OSError:
                        pass
            """], {"graded"}, "", WRONG_SCORE),
        Case("patch_predict", [WRONG, """
            import numpy as np
            def forged(self, x, *a, **k):
                # anything it can compute without the grader's targets
                return np.full(len(x), 0.123)
            Model.predict = forged
            model.predict = forged.__get__(model)
            """], {"graded"}, "", WRONG_SCORE),
        Case("shadow_builtins", [HONEST, """
            list = dict = str = int = float = len = isinstance = getattr = None
            json = np = os = open = print = type = range = None
            """], {"graded"}, "", 8),
        Case("env_seed", [WRONG, """
            import os
            SEED = '424242'
            found = [k for k, v in os.environ.items() if SEED in v or 'GRADE' in k or 'SEED' in k.upper()]
            if found:
                raise RuntimeError('SEED FOUND ' + ' '.join(found))
            """], {"graded"}, "", WRONG_SCORE, seed=424242),
        # Other processes' command lines and environments (the grader's) are out of sight.
        Case("proc_seed", [WRONG, """
            import glob
            SEED = b'424242'
            found = []
            for p in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):
                try:
                    if SEED in open(p, 'rb').read():
                        found.append(p)
                except OSError:
                    pass
            if found:
                raise RuntimeError('SEED FOUND ' + ' '.join(found))
            """], {"graded"}, "", WRONG_SCORE, needs={"bubblewrap"}, seed=424242),
        *escape_cases(paths),
    ]


# --- leaving the sandbox ---------------------------------------------------------------------
# Each cell tries, records what worked, and raises 'LEAK ...' if anything did: the attempt
# must then still be graded (the attempts fail quietly) and its message must not say LEAK.

_SYSCALLS = """
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
worked = []
def attempt(what, rc):
    if rc == 0:
        worked.append(what)
    return rc == 0
"""
_END = """
if worked:
    raise RuntimeError('LEAK ' + '; '.join(worked))
"""


def _escape(body: str) -> str:
    return _SYSCALLS + textwrap.dedent(body) + _END


def escape_cases(paths: dict[str, Path]) -> list[Case]:
    book = str(book_of(paths, "read_gradebook_and_solutions"))
    targets = [str(paths.get(k, "")) for k in ("solution", "course_copy", "other_member")]
    targets += [book, str(paths.get("srv_book", "")), "/etc/shadow"]
    lean = {"bubblewrap", "uid", "seccomp"}
    return [
        Case("escape_umount", [HONEST, _escape("""
            for where in ['/proc', '/tmp', '/dev/shm', os.path.dirname(os.getcwd()), '/usr', '/']:
                attempt('umount2 ' + where, libc.umount2(where.encode(), 2))   # MNT_DETACH
                attempt('umount ' + where, libc.umount2(where.encode(), 0))
            """)], {"graded"}, "", 8, needs=lean),
        Case("escape_remount_root", [HONEST, _escape("""
            MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 1, 32, 4096, 16384
            attempt('remount / rw', libc.mount(None, b'/', None, MS_REMOUNT | MS_BIND, None))
            attempt('remount /usr rw', libc.mount(None, b'/usr', None, MS_REMOUNT | MS_BIND, None))
            attempt('bind / on home', libc.mount(b'/', b'.', None, MS_BIND | MS_REC, None))
            attempt('tmpfs on /usr', libc.mount(b'x', b'/usr', b'tmpfs', 0, None))
            attempt('new proc', libc.mount(b'proc', b'.', b'proc', 0, None))
            import subprocess
            try:  # mount(8) is set-uid root on the host
                if subprocess.run(['mount', '--bind', '/', '.'], capture_output=True).returncode == 0:
                    worked.append('mount(8) --bind')
            except OSError as exc:
                worked.append(f'mount(8) is gone ({exc.strerror}): /usr was replaced')
            """)], {"graded"}, "", 8, needs=lean),
        Case("escape_namespaces", [HONEST, _escape("""
            CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
            attempt('unshare user+mount', libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))
            attempt('unshare user', libc.unshare(CLONE_NEWUSER))
            attempt('unshare net', libc.unshare(CLONE_NEWNET))
            for ns in ['net', 'mnt', 'pid', 'user']:
                try:
                    fd = os.open(f'/proc/1/ns/{ns}', os.O_RDONLY)
                except OSError:
                    continue
                attempt('setns ' + ns, libc.setns(fd, 0))
            # clone(2) itself with a namespace flag (no glibc wrapper in the way)
            pid = libc.syscall(56, CLONE_NEWUSER | 17, 0, 0, 0, 0)   # x86-64 clone
            if pid == 0:
                os._exit(0)
            if pid > 0:
                worked.append('clone(CLONE_NEWUSER)')
                os.waitpid(pid, 0)
            attempt('ptrace pid 1', libc.ptrace(16, 1, 0, 0))      # PTRACE_ATTACH
            import subprocess
            try:
                if subprocess.run(['unshare', '-Ur', 'true'], capture_output=True).returncode == 0:
                    worked.append('unshare(1) -Ur')
            except OSError:
                pass
            """)], {"graded"}, "", 8, needs=lean),
        Case("read_private_files", [HONEST, _escape(f"""
            for path in {targets!r}:
                if not path:
                    continue
                try:
                    with open(path, 'rb') as fh:
                        fh.read(1)
                    worked.append('read ' + path)
                except OSError:
                    pass
            import sys, grader
            own = [os.getcwd(), sys.prefix, sys.base_prefix, os.path.dirname(grader.__file__)]
            on_the_way = {{a for p in own for a in [p, *map(str, __import__('pathlib').Path(p).parents)]}}
            for folder in ['/var/lib/postgresql', '/root', '/home', '/srv', '/var/tmp', '/etc/postgresql',
                           {str(paths.get("book_dir", ""))!r}, {str(Path(str(paths.get("solution", "/x"))).parent)!r}]:
                try:
                    extra = [e for e in os.listdir(folder) if os.path.join(folder, e) not in on_the_way]
                except OSError:
                    continue
                if extra:
                    worked.append('list ' + folder + ': ' + ', '.join(extra[:5]))
            """)], {"graded"}, "", 8, needs={"bubblewrap", "uid"}),
        Case("write_outside", [HONEST, _escape(f"""
            for folder in ['/', '/usr', '/etc', '/var/tmp', '/srv', os.path.dirname(os.getcwd()),
                           {str(paths.get("book_dir", ""))!r}, {str(Path(str(paths.get("solution", "/x"))).parent)!r}]:
                try:
                    with open(os.path.join(folder, {ESCAPED!r}), 'w') as fh:
                        fh.write('x')
                    worked.append('write ' + folder)
                except OSError:
                    pass
            """)], {"graded"}, "", 8, needs={"bubblewrap", "uid"}),
        # The run folder is a 64 MB, 2000-file tmpfs (spec): 2 GB and a million files stop there.
        # The cell's error is reported either as the run's status or beside a graded run.
        Case("fill_disk_2gb", [HONEST, """
            chunk = b'x' * (8 * 2**20)        # under RLIMIT_FSIZE (16 MB): only the quota stops it
            for i in range(256):
                with open(f'big-{i}', 'wb') as fh:
                    fh.write(chunk)
            """], {"error", "graded"}, "No space left on device", None, needs={"quota"}),
        Case("fill_inodes_1e6", [HONEST, """
            import os
            os.makedirs('many', exist_ok=True)
            for i in range(1_000_000):
                open(f'many/{i}', 'w').close()
            """], {"error", "graded"}, "No space left on device", None, needs={"quota"}),
        Case("fill_tmp_inodes", [HONEST, """
            import os
            for i in range(1_000_000):
                open(f'/tmp/f{i}', 'w').close()
            """], {"error", "graded"}, "No space left on device", None, needs={"quota", "bubblewrap"}),
    ]


# --- running and watching ----------------------------------------------------------

def book_of(paths: dict[str, Path], case: str) -> Path:
    """Each case its own gradebook, so rows before/after mean something while cases run in parallel."""
    return paths["book_dir"] / f"{case}.db"


def submit(nb_path: Path, paths: dict[str, Path], marker_dir: Path, *, seed: int | None = None,
           extra_env: dict[str, str] | None = None, timeout: float = 90,
           gradebook: Path | None = None) -> tuple[int, Any, str, float]:
    """`grade submit --json` in a subprocess; returns (exit code, JSON doc or None, stderr, seconds).

    TMPDIR=marker_dir: the kernel's run folder, and so its environment, contain that
    path, which is how `leftovers(marker_dir)` finds anything the run left behind."""
    marker_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TMPDIR=str(marker_dir), GRADE_SANDBOX_QUIET="1", **(extra_env or {}))
    env.pop("GRADE_GRADEBOOK", None)
    cmd = GRADE + ["submit", str(nb_path), "--json", "--lang", "en", "--member", "tester",
                   "--course", str(paths["course"]), "--gradebook", str(gradebook or paths["gradebook"])]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=paths["course"], env=env, capture_output=True, timeout=timeout)
    dt = time.monotonic() - t0
    try:
        doc = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        doc = None
    return proc.returncode, doc, proc.stderr.decode("utf-8", "replace"), dt


def leftovers(marker: Path | str, wait: float = 3.0) -> list[int]:
    """Processes whose command line or environment mention `marker` (polls up to `wait` s)."""
    needle = str(marker).encode()
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            for what in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{entry.name}/{what}", "rb") as fh:
                        if needle in fh.read():
                            found.append(int(entry.name))
                            break
                except OSError:
                    pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def gradebook_rows(path: Path) -> int:
    import sqlite3

    if not path.exists():
        return 0
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM attempts").fetchone()[0]
    except sqlite3.Error:
        return -1
    finally:
        con.close()


def active_protections() -> set[str]:
    """Which of the layers a case may rely on are available here."""
    sys.path.insert(0, str(ROOT))
    from grader.execution.cgroups import CgroupLimits
    from grader.execution.sandbox import bwrap_status, disabled

    have = set()
    off = disabled()
    if "bwrap" not in off and bwrap_status()[0]:
        have.add("bubblewrap")
        if "uid" not in off and os.geteuid() == 0:
            have.add("uid")   # the kernel becomes an unprivileged user inside bubblewrap
    if "quota" not in off and os.geteuid() == 0:
        have.add("quota")
    if "seccomp" not in off:
        from grader.execution.seccomp import status

        if status()[0]:
            have.add("seccomp")
    if "cgroup" not in off:
        cg = CgroupLimits.create(8, 64)
        if cg.limits_processes:
            have.add("pids cgroup")
        if cg.limits_memory:
            have.add("memory cgroup")
        cg.remove()
    return have


def run_case(case: Case, paths: dict[str, Path], work: Path,
             extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Write the case's notebook, submit it, and measure: the row for the table and the tests."""
    folder = _mk(paths["subs"] / case.name)
    nb_path = folder / NB_NAME
    nb_path.write_text(nbformat.writes(notebook(case.cells)), encoding="utf-8")
    marker = work / f"m-{secrets.token_hex(4)}"  # short: IPC socket paths live under it
    book = book_of(paths, case.name)
    before = gradebook_rows(book)
    code, doc, err, dt = submit(nb_path, paths, marker, seed=case.seed, extra_env=extra_env, gradebook=book)
    left = leftovers(marker)
    kill_leftovers(left)
    after = gradebook_rows(book)
    return {"case": case.name, "exit": code, "doc": doc, "stderr": err, "seconds": dt,
            "orphans": len(left), "rows_before": before, "rows_after": after,
            "status": doc.get("status") if isinstance(doc, dict) else None,
            "score": doc.get("score") if isinstance(doc, dict) else None,
            "message": doc.get("message", "") if isinstance(doc, dict) else err.strip()[-200:]}


def run_all(cases: list[Case], paths: dict[str, Path], work: Path, workers: int = 3,
            extra_env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Run cases in parallel (each case is its own grader process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futs = {c.name: pool.submit(run_case, c, paths, work, extra_env) for c in cases}
        return {name: f.result() for name, f in futs.items()}


Check = Callable[[dict[str, Any]], None]


# --- broken files (no kernel runs for these) -------------------------------------------

def file_cases() -> dict[str, tuple[bytes, set[str]]]:
    """name -> (file bytes, acceptable statuses). Sizes stay small except where the case is size."""
    honest = nbformat.writes(notebook([HONEST]))
    v3 = (Path(__file__).parent / "v3_notebook.ipynb").read_bytes()
    foreign = (Path(__file__).parent / "foreign_outputs.ipynb").read_bytes()
    r_nb = notebook(["cat(1)"])
    r_nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    r_nb.metadata["language_info"] = {"name": "R"}
    dup = notebook([HONEST])
    for _ in range(2):
        cell = nbformat.v4.new_markdown_cell("answer")
        cell.metadata["tags"] = ["answer:h.ex1"]
        dup.cells.append(cell)
    return {
        "file_not_json": (b"def double(x):\n    return 2 * x\n", {"invalid"}),
        "file_empty": (b"", {"invalid"}),
        "file_binary": (bytes(range(256)) * 64, {"invalid"}),
        "file_invalid_utf8": (b'{"cells": [], "x": "\xff\xfe"}', {"invalid"}),
        "file_nbformat_v3": (v3, {"graded"}),
        "file_50mb": (b" " * (50 * 2**20), {"invalid"}),
        "file_10000_cells": (nbformat.writes(notebook(["x = 1"] * 10_000)).encode(), {"invalid"}),
        "file_r_kernel": (nbformat.writes(r_nb).encode(), {"invalid"}),
        "file_foreign_outputs": (foreign, {"graded"}),
        "file_no_answer_cells": (honest.encode(), {"graded"}),
        "file_duplicate_answer_tags": (nbformat.writes(dup).encode(), {"invalid"}),
    }


def run_file_case(name: str, data: bytes, paths: dict[str, Path], work: Path) -> dict[str, Any]:
    folder = _mk(paths["subs"] / name)
    nb_path = folder / NB_NAME
    nb_path.write_bytes(data)
    marker = work / f"m-{secrets.token_hex(4)}"
    book = book_of(paths, name)
    before = gradebook_rows(book)
    code, doc, err, dt = submit(nb_path, paths, marker, gradebook=book)
    left = leftovers(marker)
    kill_leftovers(left)
    return {"case": name, "exit": code, "doc": doc, "stderr": err, "seconds": dt, "orphans": len(left),
            "rows_before": before, "rows_after": gradebook_rows(book),
            "status": doc.get("status") if isinstance(doc, dict) else None,
            "score": doc.get("score") if isinstance(doc, dict) else None,
            "message": doc.get("message", "") if isinstance(doc, dict) else err.strip()[-200:]}
