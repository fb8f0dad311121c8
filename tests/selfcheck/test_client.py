"""The kernel's side of the worker process, without a kernel: why a worker is gone, in both languages."""

from __future__ import annotations

import subprocess
import sys
import time

from grader.selfcheck import client


def test_a_silent_worker_is_told_in_both_languages():
    gone = client.WorkerGone("selfcheck.client.no_answer", seconds=120.0)
    told = gone.told("selfcheck.kernel.helper_failed")
    assert told["en"] == "the self-check's helper process failed: it did not answer within 120 s"
    assert told["ko"] == "자체 점검을 돕는 프로세스가 실패했습니다: 120초 안에 응답하지 않았습니다"
    assert str(gone) == "it did not answer within 120 s"


def test_a_worker_that_died_says_its_last_words(monkeypatch):
    """A worker that ends before answering: the last line of its log (a traceback's last) is
    named, so that the student can report it."""

    def dying(argv, **kw):  # noqa: ANN001, ANN202 - Popen's signature
        code = "import sys; sys.stdin.readline(); print('ValueError: the course is broken', file=sys.stderr)"
        return real([sys.executable, "-c", code], **kw)

    real = subprocess.Popen
    monkeypatch.setattr(client.subprocess, "Popen", dying)
    proc = client.WorkerProcess()
    try:
        try:
            proc.ask({"op": "status"}, 30)
        except client.WorkerGone as exc:
            told = exc.told("selfcheck.kernel.helper_failed")
        else:
            raise AssertionError("a worker that died answered")
        assert told["en"].endswith("it stopped before answering (ValueError: the course is broken)")
        assert "응답하기 전에 멈췄습니다 (ValueError: the course is broken)" in told["ko"]
        deadline = time.monotonic() + 10
        while proc.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not proc.alive()
    finally:
        proc.close()
