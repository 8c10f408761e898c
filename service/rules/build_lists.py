"""Build config/wordlists/ from the public lists in shared/data/wordlists/.

    python -m service.rules.build_lists ../shared/data/wordlists config/wordlists

The review is written down here, so that a rebuild gives the same lists: entries too short
or too common to be safe are dropped, and severities are assigned (the Korean lists carry
none). Severity 3 and 4 reject by default, 2 holds, 1 flags (see config/rules.toml).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .normalize import normalize

# Korean entries that are everyday words or news vocabulary, or that sit inside common words.
KO_DROP = {
    "미쳤", "미친", "빨아", "빨자", "빨기", "빨어", "벌려", "벌기", "불륜", "몰카", "나체", "삽입",
    "동침", "병자", "농아", "빙구", "섹시", "밤일", "노콘", "덮침", "덥침", "딩구", "메롱", "배째",
    "색기", "색마", "색수", "색남", "색녀", "색골", "색광", "구녕", "누두", "레즈", "겁탈", "매춘",
    "강간", "근친", "노모", "유모", "망가", "야사", "에로", "자위", "애자", "호로", "로리타",
    "포르노", "하드코어", "은꼴", "직촬", "야동", "고자", "변태", "거유", "스와핑", "바바리맨",
    "멍텅", "꼴통", "똥개", "똥물", "빠라", "빠러", "삐구", "빙아", "빙순", "병삼", "병순",
    "새끼", "빤스", "세엑", "벅쿠", "박큐", "눈깔", "년놈", "보지", "자지", "애비", "엠창",
    "조건만남", "알바맨", "애무", "오르가즘", "앵벌이", "짱나", "쪼다", "찐따", "야설", "체위",
    # Second review (issue 4): everyday words that only spam lists hold (loan, card, free, bad,
    # "let's", calf, seashell...), words a news story about crime or health must be able to use,
    # and spellings that normalise to such a word (㉻㉶ is 하자, ㄷㅐ출 is 대출).
    "개가", "나쁜", "나뿐", "나뿌운", "나뿌은", "나쁘은", "나아뿐", "나아쁀", "나아쁜", "대출",
    "대추ㄹ", "무료", "카드", "하자", "쇼킹", "폰으로", "돈버는", "까발리", "야한", "쭈욱", "째려",
    "종아리", "엉덩이", "조가비", "조교사", "천재님", "수퍼맨", "실비아", "카우치", "뽀뽀뽀",
    "원초적", "페로몬", "쪼가리", "공육공", "폰번호", "알바비", "알바구함", "흥분", "흥분할",
    "월경", "유두", "유방", "자궁", "음경", "항문", "정력", "팬티", "유흥", "퇴폐", "화류", "왕따",
    "알몸", "윤락", "음란", "포경", "밑창", "몸캠", "이년", "성인물", "성추행", "성폭행", "성관계",
    "성행위", "성경험", "성충동", "첫경험", "처녀막", "노출증", "근친상간", "피임기구", "피임용품",
    "살인현장", "청부", "청부살인", "청부폭력", "대포통장", "대포폰", "민증위조", "헤로인",
    "히로뽕", "흥분제", "일진회",
    # Third review: 사까 (cut from 사까시, which stays) is every noun in 사 before 까지: 회사까지
    "사까",
}  # fmt: skip

# One-syllable entries that are unambiguous on their own.
KO_SHORT_KEEP = {"씹", "좆", "좇", "좃", "썅"}

# Entries kept with exceptions: the term inside everyday phrases (* stands for the term).
KO_EXCEPTIONS = {
    "시발": "*점|*역|*택시|동*|*표|*견|*생|*송|*행|*전|*사|*달|*언|*굴|*음|*령|*급|*휘"
    "|*효|*육|*암|*주|*진|*족|*각|*열|*작|*단|*상|*악",
    "보지": "*마|*않|*도|*만|*는|*못|*말|*를|*지|*요",
    "자지": "*마|*않|*도|*만|*는|*못|*말|*요",
    "새끼": "강아지*|고양이*|*손가락|*발가락|*줄|*를_낳|*를_치|*들을_낳",
    "세끼": "삼시*|하루*|한*|두*|*_식사|*_밥|*를|*_먹|*_굶|*_챙",  # three meals
    "염병": "전*|*원",  # 전염병, an epidemic
    "따먹기": "땅*",  # 땅따먹기, a children's game
    # 씹다 (to chew; slang: to ignore a message) before its verb endings: 껌 안 씹습니다
    "씹": "*어|*었|*는|*고|*을|*으|*습|*힌|*히|*혀|*던|*지|*기|*다|*자|*거",
    "걸레": "물*|대*|손*|행주*|*질",  # a rag: 물걸레, 걸레질
    "저놈": "*의",  # 저놈의 날씨: annoyance at a thing, not a person
}  # fmt: skip
KO_READD = {"보지": 2, "자지": 2, "새끼": 2}
# Entries whose bare word has an everyday meaning: they hold for a moderator instead of
# rejecting, while their compounds (개걸레, 걸레같은년) keep the severity of their stem.
KO_SEVERITY = {"걸레": 2}

# Strong core morphemes: entries containing one of these reject outright. The intensifiers
# 존나, 졸라 and ㅈㄴ ("fucking") are not among them: they are vulgar, but they insult nobody
# on their own (존나 맛있다), so they hold for a moderator to judge what they intensify.
KO_STRONG = re.compile(
    r"씨발|시발|씨빨|씨바|시바|씹|좆|좇|병신|븅신|빙신|지랄|개새|개색|개년|개놈|"
    r"썅|니미|느금|니애미|애미|창녀|걸레|엠창|후장|ㅅㅂ|ㅆㅂ|ㅄ|ㅂㅅ|ㅈㄹ|ㄴㄱㅁ|미친년|미친놈"
)

# English: ldnoobw entries that are not in dsojevic's list are mostly sexual vocabulary, much
# of it ordinary news language ("sexual", "escort", "rape"); they only flag, except these.
EN_DROP = {
    "escort", "sexual", "sexually", "sexuality", "sex", "nude", "nudity", "rape", "raping",
    "rapist", "incest", "intercourse", "domination", "erotic", "butt", "suck", "sucks", "xx",
    "mong", "playboy", "swinger", "voyeur", "kinky", "horny", "sexy", "tied up", "taste my",
    "tongue in a", "girl on", "big black", "huge fat", "hot chick", "spread legs",
    "undressing", "pleasure chest", "tainted love", "how to kill", "how to murder",
    "white power", "swastika", "hooker", "jesus", "christ", "hell", "god damn", "bloody",
}  # fmt: skip


def build_ko(src: Path) -> list[str]:
    lines = ["# Korean abusive words: doublems/korean-bad-words + LDNOOBW ko, reviewed."]
    lines.append("# term<TAB>severity<TAB>options (see service/rules/wordlists.py)")
    seen: set[str] = set()
    raw = (src / "ko-doublems.txt").read_text("utf-8").splitlines()
    raw += (src / "ko-ldnoobw.txt").read_text("utf-8").splitlines()
    for term in raw:
        term = term.strip()
        key = normalize(term).strip()
        if not key or key in seen or re.fullmatch(r"[a-z0-9 ]+", key):
            continue  # Latin-only entries belong to the English list
        if key in KO_DROP and key not in KO_READD:
            continue
        if len(key) < 2 and key not in KO_SHORT_KEEP:
            continue
        seen.add(key)
        severity = KO_READD.get(key) or KO_SEVERITY.get(key) or (3 if KO_STRONG.search(key) else 2)
        opts = f"except={KO_EXCEPTIONS[key]}" if key in KO_EXCEPTIONS else ""
        lines.append(f"{term}\t{severity}\t{opts}".rstrip())
    for key, severity in KO_READD.items():
        if key not in seen:
            lines.append(f"{key}\t{severity}\texcept={KO_EXCEPTIONS[key]}")
    # Consonant abbreviations that people type instead of the words.
    for term in ("ㅅㅂ", "ㅆㅂ", "ㅄ", "ㅂㅅ", "ㅈㄹ", "ㅈㄴ", "ㄴㄱㅁ", "ㅁㅊ", "ㅅㄲ", "ㄱㅅㄲ"):
        if term not in seen:
            seen.add(term)
            lines.append(f"{term}\t{3 if KO_STRONG.search(term) else 2}")
    return lines


def build_en(src: Path) -> list[str]:
    lines = ["# English: dsojevic/profanity-list en.json + LDNOOBW en, reviewed."]
    lines.append("# term<TAB>severity<TAB>options (see service/rules/wordlists.py)")
    seen: set[str] = set()
    for item in json.loads((src / "en-dsojevic.json").read_text("utf-8")):
        excs = "|".join(e.replace(" ", "_") for e in item.get("exceptions", []))
        for alt in item["match"].split("|"):
            term = alt.replace("*", "")  # "lo*ng": repeats are the collapsed reading's job
            key = normalize(term).strip()
            if not key or key in seen or key in EN_DROP:
                continue
            seen.add(key)
            opts = f"except={excs}" if excs else ""
            lines.append(f"{term}\t{item['severity']}\t{opts}".rstrip())
    for term in (src / "en-ldnoobw.txt").read_text("utf-8").splitlines():
        key = normalize(term).strip()
        if not key or key in seen or key in EN_DROP or len(key) < 3:
            continue
        seen.add(key)
        lines.append(f"{term}\t1")
    return lines


def main(argv: list[str]) -> int:
    src, dst = Path(argv[0]), Path(argv[1])
    (dst / "ko-profanity.tsv").write_text("\n".join(build_ko(src)) + "\n", "utf-8")
    (dst / "en-profanity.tsv").write_text("\n".join(build_en(src)) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
