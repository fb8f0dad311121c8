"""The grader's side of the kernel is bounded: a real per-socket message cap on the sockets
nbclient's kernel client actually uses, and the probe's time inside the total limit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import zmq
from conftest import write_notebook

from grader.execution.kernel import RECEIVE_QUEUE, SandboxedKernelManager, cap_sockets

ROOT = Path(__file__).resolve().parents[2]


def test_the_cap_is_on_the_client_sockets_not_only_the_manager(tmp_path):
    """jupyter_client gives the kernel client its own zmq context; a cap set on km.context
    alone measured -1 on every client socket. Read the options back from those sockets."""
    km = SandboxedKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(tmp_path / "ipc"),
        connection_file=str(tmp_path / "connection.json"),
    )
    km.max_message_bytes = 3 * 2**20
    cap_sockets(km.context, km.max_message_bytes)
    km.write_connection_file()
    kc = km.client()
    assert kc.context is not km.context  # the reason the cap must be set twice
    kc.start_channels(hb=False)  # no kernel here: the heartbeat thread would only race the stop
    try:
        for name in ("shell_channel", "iopub_channel", "stdin_channel", "control_channel"):
            sock = getattr(kc, name).socket
            assert sock.getsockopt(zmq.MAXMSGSIZE) == 3 * 2**20, name
            assert sock.getsockopt(zmq.RCVHWM) == RECEIVE_QUEUE, name
    finally:
        kc.stop_channels()
        km.cleanup_connection_file()
        km.context.destroy(linger=0)


def _variant(tiny_course: Path, tmp_path: Path, replace: dict[str, str]) -> Path:
    nb = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    for cell in nb.cells:
        for old, new in replace.items():
            cell.source = cell.source.replace(old, new)
    out = tmp_path / "sub"
    out.mkdir(exist_ok=True)
    return write_notebook(out / "01_tiny.ipynb", nb)


# Grades one notebook in a fresh interpreter and reports the grader's own peak memory.
_GRADE_AND_MEASURE = """
import json, resource, sys
from pathlib import Path
from grader.course.loader import load_course
from grader.grading import grade_file
result, _ = grade_file(load_course(Path(sys.argv[1])), Path(sys.argv[2]), lang="en", seed=1)
print(json.dumps({"status": result.status, "score": result.score, "message": result.message,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _grade_in_subprocess(course: Path, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _GRADE_AND_MEASURE, str(course), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.kernel
def test_a_200_mb_display_never_reaches_the_grader(tiny_course, tmp_path):
    normal = _grade_in_subprocess(tiny_course, tiny_course / "solutions" / "01_tiny.ipynb")
    flood = _variant(
        tiny_course,
        tmp_path,
        {
            "import numpy as np": (
                "import numpy as np\n"
                "from IPython.display import display\n"
                "display({'image/png': 'A' * (200 * 2**20)}, raw=True)\n"
                "print('after the flood')"
            )
        },
    )
    hostile = _grade_in_subprocess(tiny_course, flood)
    # The kernel stays usable: the probe still ran and the honest functions earn their points.
    assert hostile["status"] == "graded" and hostile["score"] == normal["score"] == 5
    assert "truncated" in hostile["message"]
    # Without the cap on the client's sockets the grader held the 200 MB message (peak ~650 MB).
    assert hostile["peak_mb"] < normal["peak_mb"] + 60, (hostile, normal)


@pytest.mark.kernel
def test_the_probe_runs_inside_the_total_time_limit(tiny_course, tmp_path):
    from grader.course.loader import load_course
    from grader.grading import grade_file

    # `double` stalls only when the probe calls it: the notebook's cells themselves are quick.
    slow = _variant(
        tiny_course, tmp_path, {"    return 2 * x\n": "    import time\n    time.sleep(600)\n    return 2 * x\n"}
    )
    course = load_course(tiny_course)
    limits = course.specs["t.ex1"].limits
    object.__setattr__(limits, "total_timeout_s", 8)  # frozen dataclass: tests only
    object.__setattr__(limits, "probe_timeout_s", 120)  # used to come on top of the total
    t0 = time.monotonic()
    result, _ = grade_file(course, slow, lang="en")
    assert time.monotonic() - t0 < 25
    assert result.status == "timeout"
    assert "total limit of 8 s" in result.message
