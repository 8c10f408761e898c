"""The standards-board rules engine: plain Python over plain data (no aiohttp, no Redis).

rs = load_ruleset(Path("config/rules.toml"))
verdict = rs.evaluate(body)                       # content rules
hits = rs.evaluate_context(facts)                 # facts gathered by intake from Redis
final = rs.combine([*verdict.hits, *hits], facts) # strictest action; trusted skip holds
"""

from .model import ContextFacts, ContextParams, Hit, RuleSetInvalid, Verdict, Window
from .normalize import fingerprint, normalize
from .ruleset import RuleSet, load_ruleset, parse_ruleset

__all__ = [
    "ContextFacts",
    "ContextParams",
    "Hit",
    "RuleSet",
    "RuleSetInvalid",
    "Verdict",
    "Window",
    "fingerprint",
    "load_ruleset",
    "normalize",
    "parse_ruleset",
]
