"""Table tests of the rules engine: each rule kind, each evasion, each innocent word, spans."""

from __future__ import annotations

import io
import json
from argparse import Namespace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.rules import (
    ContextFacts,
    Hit,
    RuleSet,
    RuleSetInvalid,
    Verdict,
    cli,
    fingerprint,
    load_ruleset,
    normalize,
    parse_ruleset,
)

RULES = Path(__file__).resolve().parents[2] / "config" / "rules.toml"


@pytest.fixture(scope="module")
def rs() -> RuleSet:
    return load_ruleset(RULES)


def fired(rs: RuleSet, body: str) -> dict[str, str]:
    return {h.rule_id: h.action for h in rs.evaluate(body).hits}


@pytest.mark.parametrize(
    ("body", "rule", "excerpt"),
    [
        ("시발 뭐야", "profanity-ko", "시발"),
        ("너는바보야 씨발놈아", "profanity-ko", "씨발"),
        ("시.발", "profanity-ko", "시.발"),
        ("시1발", "profanity-ko", "시1발"),
        ("너 시 발놈", "profanity-ko", "시 발"),
        ("ㅅ1발", "profanity-ko", "ㅅ1발"),
        ("人ㅣ발", "profanity-ko", "人ㅣ발"),
        ("ㅆㅣㅂㅏㄹ", "profanity-ko", "ㅆㅣㅂㅏㄹ"),
        ("tlqkf 진짜", "profanity-ko", "tlqkf"),
        ("씨\u200b발", "profanity-ko", "씨\u200b발"),
        ("ｆｕｃｋ", "profanity-en", "ｆｕｃｋ"),
        ("f u c k you", "profanity-en", "f u c k"),
        ("f.u.c.k", "profanity-en", "f.u.c.k"),
        ("fuuuuck", "profanity-en", "fuuuuck"),
        ("you a55hole", "profanity-en", "a55hole"),
        ("$h1t happens", "profanity-en", "$h1t"),
        ("ѕhіt", "profanity-en", "ѕhіt"),
        ("Fu\u00adck", "profanity-en", "Fu\u00adck"),
    ],
)
def test_word_list_evasions_match_and_span_the_original(
    rs: RuleSet, body: str, rule: str, excerpt: str
) -> None:
    hits = [h for h in rs.evaluate(body).hits if h.rule_id == rule]
    assert hits, body
    spans = {body[h.span[0] : h.span[1]] for h in hits if h.span is not None}
    assert excerpt in spans and excerpt in {h.excerpt for h in hits}


@pytest.mark.parametrize(
    "body",
    [
        "시발점에서 출발",
        "동시발매 소식",
        "다시 발견했다",
        "9시 발표",
        "게이머들의 축제",
        "Scunthorpe United",
        "a cocktail party",
        "classic assessment of the assumption",
        "보지 마세요",
        "새끼손가락",
        "hello there",
    ],
)
def test_innocent_words_do_not_match(rs: RuleSet, body: str) -> None:
    assert not {r for r in fired(rs, body) if r.startswith("profanity")}, body


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("연락 010-1234-5678", "phone_kr"),
        ("010 1234 5678 로", "phone_kr"),
        ("공일공 일이삼사 오육칠팔", "phone_kr"),
        ("02-123-4567 사무실", "phone_kr"),
        ("call +44 20 7946 0958", "phone_intl"),
        ("주민번호 900101-1234567", "rrn"),
        ("mail me@example.com", "email"),
        ("me at example dot com", "email"),
        ("메일 abc 골뱅이 naver.com", "email"),
    ],
)
def test_personal_information(rs: RuleSet, body: str, kind: str) -> None:
    hits = [h for h in rs.evaluate(body).hits if h.rule_id == "personal-info"]
    assert hits and hits[0].detail == kind and hits[0].action == "reject"


@pytest.mark.parametrize(
    "body",
    [
        "https://spam.example/x",
        "www . x . com",
        "naver dot com 으로",
        "가입은 naver.com",
        "스팸닷컴",
    ],
)
def test_links_are_held(rs: RuleSet, body: str) -> None:
    assert fired(rs, body).get("links") == "hold", body


def test_allowed_and_denied_domains(rs: RuleSet) -> None:
    assert "links" not in fired(rs, "see example-news.kr/story/1")
    assert fired(rs, "bit.ly/abc")["links-denied"] == "reject"


def test_shouting_repetition_and_letters(rs: RuleSet) -> None:
    assert fired(rs, "WHY IS EVERYONE SO ANGRY TODAY")["shouting"] == "flag"
    assert "shouting" not in fired(rs, "NASA and the EU agreed today on a plan")
    assert fired(rs, "ㅋ" * 40)["repetition"] == "hold"
    assert fired(rs, " ".join(["spam"] * 10))["repetition"] == "hold"
    assert fired(rs, "?!")["letters"] == "hold"
    assert rs.evaluate("좋은 기사 감사합니다").action == "approve"


def test_strictest_action_wins(rs: RuleSet) -> None:
    v = rs.evaluate("시발 010-1234-5678 https://x.com")
    assert v.action == "reject"
    assert {"profanity-ko", "personal-info", "links"} <= {h.rule_id for h in v.hits}


def test_verdict_round_trips_as_plain_dicts(rs: RuleSet) -> None:
    v = rs.evaluate("시발 https://x.com")
    data = json.loads(json.dumps(v.to_dict()))
    assert Verdict.from_dict(data) == v
    assert all(isinstance(h, Hit) for h in Verdict.from_dict(data).hits)


def test_context_rules(rs: RuleSet) -> None:
    until = datetime(2030, 1, 1, tzinfo=UTC)
    suspended = rs.evaluate_context(ContextFacts(user_status="suspended", suspended_until=until))
    assert suspended[0].action == "reject" and "2030-01-01" in suspended[0].reason_en
    assert rs.evaluate_context(ContextFacts(user_status="banned"))[0].rule_id == "banned"
    new = rs.evaluate_context(ContextFacts(previous_comments=0))
    assert [h.rule_id for h in new] == ["new-reader"]
    assert rs.evaluate_context(ContextFacts(previous_comments=5)) == []
    busy = rs.evaluate_context(ContextFacts(previous_comments=5, reader_burst=3, ip_burst=10))
    assert {h.rule_id for h in busy} == {"rate-reader", "rate-ip"}
    assert rs.evaluate_context(ContextFacts(previous_comments=5, duplicate_recent=True))
    assert rs.evaluate_context(ContextFacts(previous_comments=5, article_closed=True))


def test_trusted_readers_skip_holds(rs: RuleSet) -> None:
    facts = ContextFacts(user_status="trusted", previous_comments=0)
    hits = [*rs.evaluate("https://x.com").hits, *rs.evaluate_context(facts)]
    assert rs.combine(hits).action == "hold"
    assert rs.combine(hits, facts).action == "approve"
    assert rs.combine([*hits, *rs.evaluate("시발").hits], facts).action == "reject"


def test_context_params_tell_redis_what_to_count(rs: RuleSet) -> None:
    p = rs.context_params
    assert p.flood_window_seconds == 600 and p.first_comments_held == 3
    assert p.reader_burst is not None and p.reader_burst.seconds == 30
    assert p.ip_sustained is not None and p.ip_sustained.limit == 200


def test_fingerprint_ignores_spacing_case_and_repeats() -> None:
    assert fingerprint("Hello  World!!!") == fingerprint("hello world")
    assert fingerprint("도배 도배 ㅋㅋㅋㅋ") == fingerprint("도배도배ㅋㅋ")
    assert fingerprint("a") != fingerprint("b")


def test_public_rules_and_version(rs: RuleSet) -> None:
    public = rs.public_rules()
    assert rs.version and {"id", "action", "reason"} <= set(public[0])
    assert all(r["reason"]["en"] and r["reason"]["ko"] for r in public)


def test_ruleset_is_immutable(rs: RuleSet) -> None:
    with pytest.raises(AttributeError):
        rs.version = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"id": "x", "kind": "nope", "action": "hold"}, "kind"),
        ({"id": "x", "kind": "shouting", "action": "ban"}, "action"),
        (
            {"id": "x", "kind": "shouting", "action": "hold", "params": {"max_ratio": 3}},
            "max_ratio",
        ),
        (
            {"id": "x", "kind": "wordlist", "action": "hold", "params": {"lists": ["missing.tsv"]}},
            "missing",
        ),
        ({"id": "x", "kind": "rate_limit", "action": "hold", "params": {"scope": "moon"}}, "scope"),
    ],
)
def test_validation_errors_name_the_rule(rule: dict[str, object], message: str) -> None:
    rule.setdefault("reason", {"en": "e", "ko": "k"})
    with pytest.raises(RuleSetInvalid) as exc:
        parse_ruleset({"version": "1", "rules": [rule]}, base_dir=RULES.parent)
    assert any("'x'" in e and message in e for e in exc.value.errors), exc.value.errors


def test_duplicate_ids_and_missing_reason() -> None:
    r = {"id": "a", "kind": "shouting", "action": "flag", "reason": {"en": "e", "ko": "k"}}
    with pytest.raises(RuleSetInvalid, match="duplicate"):
        parse_ruleset({"version": "1", "rules": [r, r]})
    with pytest.raises(RuleSetInvalid, match="reason"):
        parse_ruleset({"version": "1", "rules": [{**r, "reason": {"en": "only"}}]})


def test_severity_actions_in_a_custom_list(tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("바보\t1\nzork\t4\nboom\t3\tpartial\n", encoding="utf-8")
    rs = parse_ruleset(
        """
        version = "t"
        [[rules]]
        id = "w"
        kind = "wordlist"
        action = "hold"
        reason = { en = "e", ko = "k" }
        params = { lists = ["t.tsv"], severity_actions = { "1" = "flag", "4" = "reject" } }
        """,
        base_dir=tmp_path,
    )
    assert rs.evaluate("너는바보").action == "flag"
    assert rs.evaluate("바보를").action == "flag"
    assert rs.evaluate("zork!").action == "reject"
    assert rs.evaluate("zorkish").action == "approve"  # Latin: word boundaries
    assert rs.evaluate("kaboomy").action == "hold"  # unless marked partial


def test_normalize_basics() -> None:
    assert normalize("ＡＢＣ") == "abc"
    assert normalize("ㅅㅣ발") == "시발"
    assert normalize("e\u0301cole") == "ecole"
    assert normalize("a\u200bb") == "ab"


def test_cli_check(tmp_path: Path) -> None:
    stdin = io.StringIO(
        '{"body": "시발"}\n{"body": "좋은 기사"}\n{"body": "WHY IS THIS ALL CAPS OK"}\n'
    )
    out = io.StringIO()
    assert cli.run(Namespace(rules=RULES), stdin, out) == 0
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [x["action"] for x in lines] == ["reject", "approve", "approve"]
    assert lines[0]["rules"][0]["span"] == [0, 2]
    assert lines[2]["flags"] == ["shouting"]


def test_cli_refuses_an_invalid_rule_set(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text('version = "1"\n[[rules]]\nid = "x"\n', encoding="utf-8")
    assert cli.run(Namespace(rules=bad), io.StringIO(""), io.StringIO()) == 2
