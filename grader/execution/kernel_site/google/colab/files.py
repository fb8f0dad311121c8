"""`files.upload` and `files.download` without a browser: nothing moves, the output says so."""

import sys


def upload(target_dir=""):
    sys.stderr.write("grade: files.upload() has no browser to ask in the grader's sandbox; no files were uploaded.\n")
    return {}


def download(filename):
    sys.stderr.write(f"grade: files.download({filename!r}) does nothing in the grader's sandbox.\n")
