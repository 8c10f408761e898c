"""Score the rules on labelled comments: is an abusive comment held or rejected?

    .venv/bin/python bench/rules_quality.py [DATA.tsv] [--rules config/rules.toml] [--show N]

DATA is ``text<TAB>label`` with a header row, label 1 = abusive (default: the Korean curse
development set in shared/data, found beside the repository or in /work/shared). "Flagged"
means reject or hold; the flag action only annotates, so it counts as let through.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.rules import load_ruleset  # noqa: E402

CANDIDATES = [
    ROOT.parent / "shared" / "data" / "comments" / "ko-curse-dev.tsv",
    Path("/work/shared/data/comments/ko-curse-dev.tsv"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path)
    ap.add_argument("--rules", type=Path, default=ROOT / "config" / "rules.toml")
    ap.add_argument("--show", type=int, default=0, help="print N misses of each kind")
    args = ap.parse_args()
    data = args.data or next((p for p in CANDIDATES if p.exists()), None)
    if data is None or not data.exists():
        print("no data: pass the path of ko-curse-dev.tsv", file=sys.stderr)
        return 2
    rows = []
    for line in data.read_text(encoding="utf-8").splitlines()[1:]:
        text, _, label = line.rpartition("\t")
        if label in ("0", "1"):
            rows.append((text, label == "1"))

    t0 = time.perf_counter()
    rs = load_ruleset(args.rules)
    compile_s = time.perf_counter() - t0
    tp = fp = fn = tn = clean_rejected = clean_held = 0
    missed: list[str] = []
    wrong: list[str] = []
    for text, abusive in rows:
        action = rs.evaluate(text).action
        flagged = action in ("reject", "hold")
        if abusive:
            tp += flagged
            fn += not flagged
            if not flagged:
                missed.append(text)
        else:
            fp += flagged
            tn += not flagged
            clean_rejected += action == "reject"
            clean_held += action == "hold"
            if flagged:
                wrong.append(f"{action}: {text}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clean = tn + fp
    print(f"data: {data} ({len(rows)} comments, {tp + fn} abusive, {clean} clean)")
    print(f"rules: {args.rules} version {rs.version}, {rs.term_count} terms, "
          f"compiled in {compile_s * 1000:.0f} ms")  # fmt: skip
    print(f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"clean rejected {clean_rejected / clean:.2%} ({clean_rejected}), "
          f"clean held {clean_held / clean:.2%} ({clean_held})")  # fmt: skip
    print("targets: recall >= 0.85, clean rejected <= 1 %")
    for title, items in (("missed", missed), ("clean flagged", wrong)):
        if args.show:
            print(f"\n{title}:")
            for item in items[: args.show]:
                print("  ", item[:120])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
