"""`drive.mount` without Google Drive: nothing is mounted, and the output says so."""

import sys

_NOTE = (
    "grade: there is no Google Drive in the grader's sandbox (this is not Colab); "
    "nothing was mounted at {where}. Files the notebook reads from Drive are missing here.\n"
)


def mount(mountpoint="/content/drive", force_remount=False, timeout_ms=120000, readonly=False):
    sys.stderr.write(_NOTE.format(where=mountpoint))


def flush_and_unmount(timeout_ms=86400000):
    sys.stderr.write("grade: no Google Drive is mounted in the grader's sandbox.\n")
