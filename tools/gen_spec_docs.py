"""Write docs/specs.md, the spec reference, from the models that validate specs.

.venv/bin/python tools/gen_spec_docs.py           # write the page
.venv/bin/python tools/gen_spec_docs.py --check   # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course.specdoc import PAGE, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    page = ROOT / PAGE
    text = render()
    current = page.read_text(encoding="utf-8") if page.is_file() else None
    if args.check:
        if current != text:
            print(f"{PAGE} is out of date: run .venv/bin/python tools/gen_spec_docs.py", file=sys.stderr)
            return 1
        print(f"{PAGE} is up to date")
        return 0
    if current == text:
        print(f"{PAGE} unchanged")
    else:
        page.write_text(text, encoding="utf-8")
        print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
