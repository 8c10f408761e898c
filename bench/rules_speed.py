"""Time the full rules engine per comment at 1,000 and 10,000 list terms.

    .venv/bin/python bench/rules_speed.py [COMMENTS.tsv] [--rules config/rules.toml] [--repeat N]

Beside the engine (normalisation, every reading, every content rule), the same run times a
single ``re`` alternation of the same terms and the ``better-profanity`` package (installed
for the bench only: ``.venv/bin/pip install better-profanity``). Terms are the shipped lists,
topped up to 10,000 with made-up Hangul words that match nothing real, so the matcher carries
the load without changing what fires. Comments are the Korean dev set, up to 250 characters.

Each comment is timed ``--repeat`` times (default 5) and its fastest time kept, as ``timeit``
does: on a shared machine the other runs measure the neighbours. The "flat" row keeps the
1,000 terms of the first row and adds 9,000 fillers, so only the list size differs; the
last engine row (every shipped term, then fillers) fires more often and is the one to read
against the target.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.rules import parse_ruleset  # noqa: E402
from service.rules.wordlists import parse_terms  # noqa: E402

CANDIDATES = [
    ROOT.parent / "shared" / "data" / "comments" / "ko-curse-dev.tsv",
    Path("/work/shared/data/comments/ko-curse-dev.tsv"),
]
FALLBACK = [
    "시발 뭐야 이게",
    "좋은 기사 감사합니다. 잘 읽었어요",
    "I think the council made the wrong call here, honestly.",
    "연락은 010-1234-5678 로 주세요",
]


def load_comments(path: Path | None) -> list[str]:
    path = path or next((p for p in CANDIDATES if p.exists()), None)
    if path is None:
        print("(dev set not found: using a few built-in comments)")
        return FALLBACK * 50
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [t for t in (r.rpartition("\t")[0] for r in rows) if 0 < len(t) <= 250]


def terms_for(rules_path: Path, n: int, real: int | None = None) -> list[str]:
    """``n`` terms: the shipped lists' terms (the first ``real`` of them, if given), then
    fillers."""
    data = tomllib.loads(rules_path.read_text(encoding="utf-8"))
    terms: list[str] = []
    for rule in data["rules"]:
        if rule["kind"] == "wordlist":
            for name in rule["params"]["lists"]:
                text = (rules_path.parent / name).read_text(encoding="utf-8")
                terms.extend(e.term for e in parse_terms(text, name)[0])
    if real is not None:
        terms = terms[:real]
    rng = random.Random(4)
    while len(terms) < n:  # rare syllables, so the fillers never fire
        terms.append("".join(chr(rng.randrange(0xD000, 0xD7A3)) for _ in range(3)))
    return terms[:n]


def time_per_item(
    fn: Callable[[str], object], items: list[str], repeat: int = 1
) -> tuple[float, float]:
    """Median and mean over items of each item's fastest of ``repeat`` runs, in µs."""
    best = [float("inf")] * len(items)
    for _ in range(repeat):
        for i, text in enumerate(items):
            t0 = time.perf_counter_ns()
            fn(text)
            best[i] = min(best[i], (time.perf_counter_ns() - t0) / 1000)
    return statistics.median(best), statistics.fmean(best)


def engine(rules_path: Path, terms: list[str]) -> tuple[Callable[[str], object], float]:
    data = tomllib.loads(rules_path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "terms.tsv").write_text("\n".join(terms) + "\n", encoding="utf-8")
        rules = [r for r in data["rules"] if r["kind"] != "wordlist"]
        rules.insert(
            0,
            {
                "id": "terms",
                "kind": "wordlist",
                "action": "hold",
                "reason": {"en": "bench", "ko": "bench"},
                "params": {"lists": ["terms.tsv"]},
            },
        )
        t0 = time.perf_counter()
        rs = parse_ruleset({"version": "bench", "rules": rules}, base_dir=Path(tmp))
        compile_s = time.perf_counter() - t0
    return rs.evaluate, compile_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path)
    ap.add_argument("--rules", type=Path, default=ROOT / "config" / "rules.toml")
    ap.add_argument("--repeat", type=int, default=5, help="runs per comment, fastest kept")
    args = ap.parse_args()
    comments = load_comments(args.data)
    avg = statistics.fmean(len(c) for c in comments)
    print(f"{len(comments)} comments of up to 250 characters, {avg:.0f} on average")
    try:
        from better_profanity import profanity  # type: ignore[import-untyped]
    except ImportError:
        profanity = None
        print("better-profanity is NOT installed: pip install better-profanity to compare")

    rep = max(1, args.repeat)
    print(f"each comment timed {rep} times, fastest kept")
    print(f"{'terms':>6}  {'what':<34} {'median µs':>10} {'mean µs':>10}  notes")
    runs = [
        (1000, None, "engine (all content rules)"),
        (10000, 1000, "engine, flat check: same + fillers"),
        (10000, None, "engine (all content rules)"),
    ]
    for n, real, label in runs:
        terms = terms_for(args.rules, n, real)
        evaluate, compile_s = engine(args.rules, terms)
        for text in comments[:200]:  # warm the per-character caches
            evaluate(text)
        med, mean = time_per_item(evaluate, comments, rep)
        print(f"{n:>6}  {label:<34} {med:>10.1f} {mean:>10.1f}  "
              f"compiled in {compile_s * 1000:.0f} ms")  # fmt: skip
        if real is not None:
            continue
        alternation = re.compile("|".join(re.escape(t.lower()) for t in terms))
        few = comments[:300]
        med, mean = time_per_item(lambda s, a=alternation: a.search(s.lower()), few, rep)
        print(f"{n:>6}  {'re alternation (search only)':<34} {med:>10.1f} {mean:>10.1f}  "
              f"{len(few)} comments")  # fmt: skip
        if profanity is not None:
            profanity.load_censor_words(terms)
            fewer = comments[:60]
            med, mean = time_per_item(profanity.contains_profanity, fewer, min(rep, 2))
            print(f"{n:>6}  {'better-profanity contains_profanity':<34} {med:>10.1f} "
                  f"{mean:>10.1f}  {len(fewer)} comments")  # fmt: skip
    print("target: engine median <= 25 µs at 10,000 terms, flat from 1,000 to 10,000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
