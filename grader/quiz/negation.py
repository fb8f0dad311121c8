"""Negation scope: which negators govern each unit, and clauses that only deny.

Korean negators follow what they negate (않/없/못하, 안·못 before the verb, and
the "difficult" words 어렵/힘들), English ones precede it ("not", "n't",
"without", "hard to"), and `False` follows the flag it turns off. Negation is
counted per clause, so "-지 않으면 안 된다" (an obligation) cancels out, and a
clause such as "그렇지 않다" / "that is not true" denies the one before it.
"""

from __future__ import annotations

import re

from grader.quiz.units import Segment, Unit

KO_NEGATORS = {
    ("않", "VX"),
    ("못하", "VX"),
    ("없", "VA"),
    ("안", "MAG"),
    ("못", "MAG"),
    ("아니", "VCN"),
    ("말", "VX"),
    ("없이", "MAG"),
}
# "병렬화가 어렵다" denies the parallelism as much as "병렬화할 수 없다" does
KO_SOFT_NEGATORS = {("어렵", "VA"), ("힘들", "VA"), ("곤란", "NNG"), ("불가", "NNG")}
# A clause that only denies what was said before it
_DENIAL_KO = re.compile(
    r"(그건|그것은|이건|이것은|이는|하지만|그러나|근데|실제로는|실제론|실제로|사실은|사실)?\s*"
    r"(그렇지\s*않\S*|사실이\s*아\S*|아니다|아닙니다|아니에요|아니야|아님|아니었음|틀렸\S*|틀립니다|틀리다|틀림|"
    r"틀린\s*(말|생각|설명)\S*|오해\S*|착각\S*|잘못된\s*(생각|설명|말)\S*)"
)
_DENIAL_EN = re.compile(
    r"((but|however|actually),?\s+)?((that|this|it)\s*('s|’s|\s+is)\s+)?"
    r"(not\s+true|not\s+the\s+case|wrong|false|incorrect|a\s+myth|a\s+misconception)",
    re.IGNORECASE,
)
_DENIAL_MAX = 24  # characters: a denial is short; longer text says something of its own


def _topic_outside(units: list[Unit], i: int, j: int) -> bool:
    """Whether unit i sits in a topic that the negator at j does not deny.

    "GRU는 c가 없다" denies c, not GRU; "병렬화는 불가능하다" denies the topic
    itself: a subject or object between topic and negator takes the negation.
    """
    topic = next((k for k in range(i, j) if units[k].topic), None)
    return topic is not None and any(units[k].argument for k in range(topic + 1, j))


def mark_negation(units: list[Unit]) -> None:
    """Record, for each unit, the negators that govern it within its clause.

    A Korean negator (않, 없, 못하, 아니, 어렵; 안/못 before the verb) governs
    what comes before it up to the previous negator, so "포화되지 않는 함수는
    쓰지 않는다" negates both parts once each instead of cancelling out. A
    negator followed at once by another ("-지 않으면 안 된다", "어렵지 않다")
    cancels: no negation. English negators govern what follows them; `False`
    only the flag right before it. Keeping the governors (not just a flag) lets
    a pattern that names the negator itself ("긴 시퀀스 + 어렵") read the clause
    as affirmed.
    """
    n = len(units)
    for i, u in enumerate(units):
        if u.negator:
            continue
        governors: list[int] = []
        if i + 1 < n and units[i + 1].negator == "flag":
            governors.append(i + 1)
        for j in range(i + 1, n):  # nearest Korean negator after it
            v = units[j]
            if v.clause != u.clause:
                break
            if v.negator in ("post", "pre-ko"):
                if _topic_outside(units, i, j):
                    break
                if v.adnominal and any(units[k].boundary for k in range(i, j - 1)):
                    continue  # "삭제 게이트: 필요 없는 정보" denies 필요, not the gate; a later negator may
                if v.negator == "pre-ko" and any(units[k].argument for k in range(i + 1, j)):
                    break  # 안/못 deny their verb and its object: "A랑 B를 잘 못 배운다" denies B only
                double = False
                for w in units[j + 1 : j + 3]:
                    if w.argument:
                        break  # "A가 아니라 B가 아닌 C": a new argument starts a claim of its own, no cancelling
                    if w.negator in ("post", "pre-ko") and w.clause == v.clause:
                        double = True
                        break
                if not double:
                    governors.append(j)
                break
        for j in range(i - 1, -1, -1):  # English negator before it
            v = units[j]
            if v.clause != u.clause or (v.boundary and v.latin):
                break  # "no memory, … -> parallel": a comma or an arrow ends what "no" denies
            if v.negator == "pre":
                governors.append(j)
                break
            if v.negator == "pre-ko" and j == i - 1:
                break
        u.governors = tuple(governors)
        u.negated = len(governors) % 2 == 1


def _is_denial(text: str) -> bool:
    t = text.strip(" .!,;")
    return len(t) <= _DENIAL_MAX and bool(_DENIAL_KO.fullmatch(t) or _DENIAL_EN.fullmatch(t))


def flip(units: list[Unit], mark: int) -> None:
    for u in units:
        if not u.negator:
            u.governors = (*u.governors, mark)
            u.negated = not u.negated


def denied_clauses(text: str, clause_starts: list[int]) -> set[int]:
    """ "X라고 생각하기 쉽지만 그렇지 않다": a clause that only denies denies the one before."""
    out = set()
    for c in range(1, len(clause_starts)):
        end = clause_starts[c + 1] if c + 1 < len(clause_starts) else len(text)
        if _is_denial(text[clause_starts[c] : end]):
            out.add(c - 1)
    return out


def deny_previous(segments: list[Segment], seg: Segment) -> None:
    """A sentence that only says "그렇지 않다" / "That is not true." denies the previous one."""
    if segments and _is_denial(seg.text):
        flip(segments[-1].units, -1000)
