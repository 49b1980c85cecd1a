"""Run the side-by-side benchmarks and write their sections of docs/benchmarks.md.

    python benches/run.py                    # every benches/bench_*.py
    python benches/run.py --only graph_build # one of them

Each bench module defines TITLE, PACKAGES, COMMAND and run() -> list[Case]. Its section in the
output file sits between ``<!-- bench:NAME -->`` markers and is replaced in place, so benches can
be rerun one at a time without losing the others' figures.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import markdown  # noqa: E402

HEADER = """# Benchmarks

Side-by-side timings of aluna and its peers on the same input, in one run, on this project's
reference machine (2 cores, 24 GiB). Ratios are peer time / aluna time. Regenerate with
`make bench` (all) or `python benches/run.py --only NAME`. Tests never assert on time.
"""


def replace_section(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "benchmarks.md")
    parser.add_argument("--only", action="append", help="bench name(s), e.g. graph_build")
    args = parser.parse_args()
    names = args.only or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    text = args.out.read_text() if args.out.exists() else HEADER
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        print(f"running {name} ...", flush=True)
        section = markdown(module.TITLE, module.run(), module.COMMAND, module.PACKAGES)
        section += getattr(module, "NOTES", "")
        print(section)
        text = replace_section(text, name, section)
        args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
