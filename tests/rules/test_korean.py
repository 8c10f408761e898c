"""Table tests of the Korean vocabulary, its morphology options and their innocent words."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.rules import RuleSet, load_ruleset
from service.rules.normalize import ends_word, gap_ok
from service.rules.wordlists import TermMatcher, initial_variants, parse_terms

RULES = Path(__file__).resolve().parents[2] / "config" / "rules.toml"


@pytest.fixture(scope="module")
def rs() -> RuleSet:
    return load_ruleset(RULES)


def ko_action(rs: RuleSet, body: str) -> str:
    """The strictest action of the Korean word-list rule alone."""
    actions = {h.action for h in rs.evaluate(body).hits if h.rule_id == "profanity-ko"}
    for action in ("reject", "hold", "flag"):
        if action in actions:
            return action
    return "approve"


@pytest.mark.parametrize(
    ("body", "action"),
    [
        # insult stems and their spellings
        ("병신 같은 소리", "reject"),
        ("ㅂ신아", "reject"),  # one syllable typed as its first consonant
        ("병ㅅ 인증", "reject"),
        ("병시나 워크넷은", "reject"),
        ("ㅅ발 진짜", "reject"),
        ("씨ㅂ 뭐냐", "reject"),
        ("존ㄴ 웃기네", "hold"),  # 존나 only intensifies: a moderator judges what
        ("개새 끼", "reject"),  # a word broken once by a space
        ("개 새끼들", "reject"),
        ("난 느금마가", "reject"),
        ("니애비 어디갔냐", "reject"),
        ("니들 때문에 나라가", "hold"),  # contemptuous "you", a word of its own
        ("진짜 ㅈ같네", "reject"),
        ("조ㅈ만아", "hold"),
        ("더ㅈ될거임", "hold"),
        ("이뭐병", "hold"),
        ("저능아 수준", "hold"),
        ("지진아가 쓴거같아서", "hold"),
        ("뇌가 없는 대신", "hold"),
        ("뇌가없는대신", "hold"),  # an entry with a space also matches without it
        ("개보다못한 놈", "hold"),
        ("다 잡아족쳐야지", "hold"),
        # 새끼 spellings
        ("미친사끼들로 덮였네", "hold"),
        ("7등급 생키들은", "hold"),
        ("이새낀도대체", "hold"),
        ("쌔키들", "hold"),
        ("쒜꺄", "hold"),
        # 미친: held, not rejected; praise and "like crazy" are innocent
        ("ㅋㅋ 미친 것들", "hold"),
        ("미친놈 아니냐", "reject"),
        # imperatives, curses, contempt verbs
        ("그만 닥치라", "hold"),
        ("아닥하고 있는거지", "hold"),
        ("뒤져라 그냥", "hold"),
        ("뒤지게 패고싶은 밤", "hold"),
        ("쳐맞았네", "hold"),
        ("쳐 자라", "hold"),
        ("제발 망해라", "hold"),
        ("캬악 퉤", "hold"),
        # slurs against groups
        ("좌좀들 또 왔네", "hold"),
        ("쪽빠리는 답없음", "hold"),
        ("조샌징이 더 최악", "hold"),
        ("쿵쾅이들이 단체로", "hold"),
        ("개독한테 쓰면", "hold"),
        ("문재앙 정권", "hold"),
        ("한녀들은", "hold"),
        # X충, X게이, X년 (morphology: attached to a noun, at the word's end)
        ("급식충들 몰려온다", "hold"),
        ("예과충인가보네", "hold"),
        ("용접충 이라고", "hold"),
        ("풍성충", "approve"),  # 성충 (an adult insect) is an exception: a known gap
        ("글쓴게이 몇살이냐", "hold"),
        ("울산게이ㅎㅇ", "hold"),
        ("의게이가 썼다", "hold"),
        ("사악한년", "hold"),
        ("페미년들", "hold"),
        ("공부 못하는 년은", "hold"),
        # contempt: "the likes of you", people called animals, vermin or beggars
        ("니까짓게 뭘 안다고", "hold"),
        ("너따위가 감히", "hold"),
        ("느그 나라로 가라", "hold"),
        ("하는 짓이 짐승같다", "hold"),
        ("저 짐승들 좀 봐라", "hold"),
        ("벌레같은 인간", "hold"),
        ("저런 벌레는 상대 안 한다", "hold"),
        ("거지같은 정책", "hold"),
        ("찌질하게 굴지마", "hold"),
        ("징징대지 마라", "hold"),
        ("완전 양아치 짓", "hold"),
        ("개백수 주제에", "hold"),
        ("싸이코 같네", "hold"),
        ("사까시 해줘", "hold"),  # the slang word 사까 was cut from still holds
        ("저놈 잡아라", "hold"),
        # evasions of the new stems
        ("느.금.마", "reject"),
        ("좆 같 네", "reject"),
        ("tlqkf", "reject"),
        ("sibal", "reject"),
    ],
)
def test_korean_insults_and_slurs(rs: RuleSet, body: str, action: str) -> None:
    assert ko_action(rs, body) == action, body


@pytest.mark.parametrize(
    "body",
    [
        # 미친 used as "like crazy" or as praise
        "미친 듯이 좋은 노래",
        "미친듯이 달렸다",
        "미친 존재감",
        # 충 in ordinary words
        "기생충이 많다",
        "곤충들이 모였다",
        "대충 하자",
        "보충이 필요하다",
        "우중충한 날씨",
        "충분하다",
        "확충을 약속했다",
        "해충 방제",
        # 게이: ordinary words, and the identity on its own is not listed
        "연료게이지가 떨어졌다",
        "게이머들의 축제",
        "네비게이션 업데이트",
        "게이 인권 행사가 열렸다",
        # 년: years and dates
        "왕년에 잘나갔지",
        "작년에 갔다",
        "2020년에 태어났다",
        "몇십년 걸린다",
        "같은 년에 태어났다",
        "다가오는 년도 예산",
        "오는 2021년에",
        "받는년금이 줄었다",
        "휴거는  2021년 3월경으로",
        "청소년 보호",
        # words that contain a listed term
        "또 라이브 방송",
        "다시 발견했다",
        "삼시세끼 챙겨 먹자",
        "전염병 확산",
        "가방을 뒤져보니",
        "땅따먹기 놀이",
        "호모 사피엔스",
        "눈깔사탕",
        "쿵쾅거리는 소리",
        "병시중을 들었다",
        "새기는 마음",
        "어머니들 모임",  # 니들 inside a word
        "쌀 한 가마니 들기",
        # 씹다 (to chew, to ignore a message), rags, rubbish bins, wild animals, psychopaths
        "껌 안 씹습니다",
        "음식을 꼭꼭 씹는 습관",
        "문자를 씹었다",
        "씹을수록 단맛이 난다",
        "물걸레 청소기",
        "걸레질을 했다",
        "쓰레기통에 버렸다",
        "음식물 쓰레기 수거",
        "분리수거용 쓰레기봉투",
        "산짐승들이 내려왔다",
        "야생 짐승들의 서식지",
        "사이코패스 범죄",
        "사이코 드라마",
        "바퀴벌레 퇴치법",
        "공부벌레 친구",
        "애벌레가 나비가 됐다",
        "벌레 먹은 사과",
        "벌레에 물렸다",
        # 까지 after a noun in 사 (사까 is cut from a listed slang word), and 이놈의 + a thing
        "회사까지 걸어갔다",
        "기사까지 썼네",
        "이놈의 인기는 언제 식나",
        "저놈의 날씨",
        # news and everyday words the public lists hold (second review of the lists)
        "은행에 대출 상담",
        "카드 결제",
        "무료 배송",
        "하자 보수",
        "성폭행 사건 재판",
        "종아리 근육",
        "3월경 발표",
        "나쁜 정책",
        "고개가 끄덕여진다",
    ],
)
def test_innocent_korean_words(rs: RuleSet, body: str) -> None:
    assert ko_action(rs, body) in ("approve", "flag"), body


def test_strong_words_reject_and_ambiguous_ones_hold(rs: RuleSet) -> None:
    assert rs.evaluate("병신아").action == "reject"
    assert rs.evaluate("미친 거 아냐").action == "hold"
    assert rs.evaluate("극혐").action == "hold"
    # intensifiers hold; the chewing verb is innocent, the noun and its compounds are not
    assert rs.evaluate("존나 맛있다").action == "hold"
    assert rs.evaluate("졸라 웃기네").action == "hold"
    assert rs.evaluate("무려 표절ㅋㅋㅋ씹ㅋㅋㅋ").action == "reject"
    assert rs.evaluate("씹새끼").action == "reject"
    assert rs.evaluate("씹할 진짜").action == "reject"
    # a rag holds (걸레로 닦다); the slur's compounds still reject
    assert rs.evaluate("걸레로 닦았다").action == "hold"
    assert rs.evaluate("걸레같은년").action == "reject"


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("급식충", 3, True),
        ("급식충들", 3, True),
        ("급식충들이", 3, True),
        ("예과충인가보네", 3, True),
        ("게이였단", 2, True),
        ("충분", 1, False),
        ("연료게이지", 4, True),  # 지 is an ending: the term's exception rules it out
        ("새끼ㅋㅋ", 2, True),
        ("fuck", 3, False),
        ("abc def", 3, True),
    ],
)
def test_ends_word(text: str, end: int, expected: bool) -> None:
    assert ends_word(text, end) is expected


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("시 발", (0, 3), True),
        ("개새 끼", (0, 4), True),
        ("개 새끼들", (0, 5), True),
        ("또 라이브", (0, 4), False),
        ("다시 발견", (1, 4), False),
        ("미친 것들", (0, 4), True),
        ("미 친 놈 들", (0, 5), True),
    ],
)
def test_gap_ok(text: str, span: tuple[int, int], expected: bool) -> None:
    assert gap_ok(text, *span) is expected


def test_initial_variants() -> None:
    assert initial_variants("병신") == ["ㅂ신", "병ㅅ"]
    assert initial_variants("ㅈ같") == ["ㅈㄱ"]


def test_term_options_parse_and_match() -> None:
    text = "충\t2\tsuffix end except=대*\n바보\t1\tinitials\n니들\t2\tstart\nx\t2\tbogus\n"
    entries, errors = parse_terms(text, "t")
    assert errors == ["t:4: unknown option 'bogus'"]
    assert entries[0].flags == frozenset({"suffix", "end"})
    from service.rules.normalize import readings

    m = TermMatcher([entries], [])

    def found(text: str) -> list[str]:
        return [h.term.entry for h in m.find(readings(text))]

    assert found("급식충들") == ["충"]
    assert found("충 하나") == []  # not attached to a noun
    assert found("충분") == []  # not at the end of the word
    assert found("대충") == []  # exception
    assert found("ㅂ보") == ["바보"]
    assert found("니들이") == ["니들"]
    assert found("어머니들") == []  # not at the start of a word
