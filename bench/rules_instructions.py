"""Count the CPU instructions the rules engine spends per comment, under valgrind's callgrind.

    .venv/bin/python bench/rules_instructions.py [COMMENTS.tsv] [--rules config/rules.toml]

Wall-clock times on a shared machine move by a third from run to run; instruction counts
move by well under 1 %, so they tell a small change to the engine from the neighbours' load.
The script runs itself twice under callgrind, building the 10,000-term engine of
``rules_speed.py`` both times and evaluating every comment twice in the second run only; the
difference, divided by the evaluations, is the engine's cost per comment (mean). Needs
``valgrind``; takes about a minute.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSES = 2


def run_engine(data: Path | None, rules: Path, passes: int) -> None:
    from rules_speed import engine, load_comments, terms_for

    comments = load_comments(data)
    evaluate, _ = engine(rules, terms_for(rules, 10000))
    for text in comments[:200]:  # the same warm-up as the speed bench
        evaluate(text)
    for _ in range(passes):
        for text in comments:
            evaluate(text)


def collected(args: list[str], passes: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            __file__,
            *args,
            "--passes",
            str(passes),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    m = re.search(r"Collected : (\d+)", done.stderr)
    if m is None:
        raise SystemExit(f"no instruction count in callgrind's output:\n{done.stderr}")
    return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path)
    ap.add_argument("--rules", type=Path, default=ROOT / "config" / "rules.toml")
    ap.add_argument("--passes", type=int, help=argparse.SUPPRESS)  # set when under callgrind
    args = ap.parse_args()
    if args.passes is not None:
        run_engine(args.data, args.rules, args.passes)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    from rules_speed import load_comments

    own = [str(args.data)] if args.data else []
    own += ["--rules", str(args.rules)]
    n = len(load_comments(args.data))
    per_comment = (collected(own, PASSES) - collected(own, 0)) / (PASSES * n)
    print(f"{n} comments, 10,000 terms: {per_comment:,.0f} instructions per comment (mean)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
