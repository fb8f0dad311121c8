"""Who a role is said of: the holders an answer names and the one each role binds to.

A role pattern ("삭제 게이트 => @erase") holds only when the role is said of its
holder: the nearest holder in the clause, else the one the sentence or the
heading above it is about (see `bound_holder`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from grader.quiz.terms import find
from grader.quiz.units import Segment, Unit, moved

if TYPE_CHECKING:
    from grader.quiz.compiled import Compiled


INHERITED = -2  # the clause of a holder carried over from the sentence before


class Holder(NamedTuple):
    """A holder named in a segment: who a role can belong to."""

    term: str
    clause: int
    first: int
    last: int
    topic: bool  # marked as topic or subject (은/는/이/가)
    oblique: bool  # in a prepositional phrase or marked by 에/로/보다: not an agent
    predicative: bool  # "…는 X다", "… by X", "… is X"
    weak: bool  # a possessor ("LSTM의", "the LSTM's"): only when nothing else fits


def _words_between(seg: Segment, a: int, b: int) -> int:
    """Written words from unit a up to unit b, counting a's own (dropped ones too: "must also have the")."""
    if seg.units[a].clause < 0 or seg.units[b].clause < 0:
        return 99
    return len(re.findall(r"[A-Za-z0-9_'’]+|[\uac00-\ud7a3]+", seg.text[seg.units[a].start : seg.units[b].start]))


def bracketed(seg: Segment, h: Holder) -> bool:
    if h.clause < 0:
        return False
    at = seg.units[h.first].start
    return seg.text[:at].count("(") > seg.text[:at].count(")")


def _end_tag(seg: Segment, h: Holder) -> bool:
    """Whether the holder is all a bracket holds, and only punctuation follows the bracket."""
    if h.clause < 0 or not bracketed(seg, h):
        return False
    text = seg.text
    at = seg.units[h.first].start
    opened, closed = text.rfind("(", 0, at), text.find(")", at)
    if closed < 0:
        return False
    inside = text[opened + 1 : closed]
    return len(inside.split()) <= 2 and not re.search(r"[^\s.!?。]", text[closed + 1 :])


def _cut_between(seg: Segment, a: int, b: int) -> bool:
    if not seg.cuts or seg.units[a].clause < 0 or seg.units[b].clause < 0:
        return False
    lo, hi = seg.units[a].start, seg.units[b].start
    return any(lo < c < hi for c in seg.cuts)


_RESPECTIVELY = {"각각", "respect", "respectiv", "순서대로", "차례대로", "차례로"}


def _respectively(seg: Segment, clause: int, before: list[Holder], first: int) -> Holder | None:
    """ "삭제·입력·출력 게이트가 지울 것, 더할 것, 내보낼 것을 각각 정한다": the i-th role listed
    after the holders belongs to the i-th holder."""
    if (
        len(before) < 2
        or seg.units[first].clause < 0
        or not any(u.form in _RESPECTIVELY for u in seg.units if u.clause == clause)
    ):
        return None
    ordered = sorted({(h[2], h[3]): h for h in before}.values(), key=lambda h: h[2])
    after = seg.units[ordered[-1][3]].start
    index = sum(1 for c in seg.cuts if after < c < seg.units[first].start)
    return ordered[index] if index < len(ordered) else None


def bound_holder(seg: Segment, holders: list[Holder], clause: int, first: int, last: int) -> tuple[Holder | None, bool]:
    """The holder a role stated between units first..last belongs to, and whether it was borrowed.

    The nearest holder before it in the clause ("삭제 게이트는 … 지운다"), else
    the nearest after it in the clause ("… 지우는 것은 삭제 게이트"), else the
    last one named before it in the sentence or in the heading above.
    """
    # a holder the sentence denies before the role ("입력 특성 수가 아니라 … 유닛 수") is not its owner
    holders = [
        h
        for h in holders
        if not (
            h.clause >= 0
            and h.last < first
            and any(h.last < g < first for k in range(h.first, h.last + 1) for g in seg.units[k].governors)
        )
    ]
    same = [h for h in holders if h[1] == clause]
    # a holder in a comparison or a prepositional phrase ("선형 모델보다", "parts of g(t)") is not the agent
    before = [h for h in same if h[3] < first and not h[5]]
    # a holder right after the role word is what it describes: "a vector-to-sequence decoder"
    # ("벡터-투-시퀀스 네트워크인 디코더": one word may come between)
    # in English the noun comes right after its modifier; in Korean "X인 Y" puts one word between
    nxt = seg.units[last + 1] if last + 1 < len(seg.units) else seg.units[last]
    reach = 1 if nxt.latin else 2
    adjacent = [
        h
        for h in same
        if 0 < h[2] - last <= reach
        and not any(seg.units[k].boundary for k in range(last, h[2]))
        and _words_between(seg, last, h[2]) <= reach
    ]
    if adjacent:
        return adjacent[0], False
    # a holder in brackets closing the sentence tags what it is about: "… 하나로 합친다 (GRU)"
    tagged = [h for h in same if h.first > last and _end_tag(seg, h)]
    if tagged:
        return tagged[0], False
    spread = _respectively(seg, clause, before, first)
    if spread is not None:
        return spread, False
    # a possessor right before the role owns it ("the LSTM's two state vectors"); one further
    # away yields to any other holder ("입력의 마지막 차원은 유닛 수" has no other)
    owner = [h for h in before if h.weak and _words_between(seg, h.last, first) <= 1]
    if owner:
        return max(owner, key=lambda h: h.last), False
    before = [h for h in before if not h.weak] or before
    if before:
        if seg.units[first].latin:
            # English: the nearest holder before it
            return max(before, key=lambda h: (h[3], h[3] - h[2])), False
        # Korean: the topic or subject (은/는/이/가) is the agent, else the nearest mention
        return max(before, key=lambda h: (h[4], h[3], h[3] - h[2])), False
    # a holder after the role counts only within the same stretch of text:
    # in "…which parts to erase, the input gate decides…" the comma ends the forget gate's part
    after = [
        h
        for h in same
        if h[2] > last
        and not h[5]
        and not _cut_between(seg, last, h[2])
        and (h[4] or h[6] or not seg.units[first].latin)
    ]  # English: only "… by X", "… is X"
    if after:
        return min(after, key=lambda h: (h[2], h[2] - h[3])), False
    # an earlier clause: its topic ("출력도 …하고, 마지막 차원은 …") before a mere mention
    earlier = [h for h in holders if h[3] < first and h[1] != INHERITED and not h[5]]
    earlier = [h for h in earlier if not h.weak] or earlier
    if earlier:
        if seg.units[first].latin:
            # English: the nearest one ("the LSTM's" is a possessive, not a candidate)
            return max(earlier, key=lambda h: (h[3], h[3] - h[2])), True
        return max(earlier, key=lambda h: (h[4], h[3], h[3] - h[2])), True
    # Korean often names the category last: "…리뷰의 별점을 예측하는 건 시퀀스-투-벡터다"
    # (only a holder the sentence predicates, not any later mention)
    later = [h for h in holders if h[2] > last and h[1] != INHERITED and not h[5] and h[6]]
    if later:
        return min(later, key=lambda h: h[2]), True
    # else the one the previous sentence was about: "X는 …입니다. 예: 번역, 음성 인식"
    inherited = [h for h in holders if h[1] == INHERITED]
    if inherited:
        return inherited[0], True
    return None, False


def _holder_occurrences(seg: Segment, comp: Compiled) -> list[Holder]:
    """Every holder named in the segment (see Holder)."""
    out = []
    for h, phrase in comp.holders:
        for clause, a, b, _ in find(seg, phrase):
            # a denied holder ("순환이 없어서", "no recurrence") is not what the sentence is about
            # a holder denied where it stands ("순환이 없어서", "no recurrence") is not what the
            # sentence is about; a topic that a later negator governs ("RNN에서는 필요하지 않다") is
            if not any(g in (b + 1, a - 1) for k in range(a, b + 1) for g in seg.units[k].governors):
                out.append(
                    Holder(
                        h,
                        clause,
                        a,
                        b,
                        seg.units[b].topic or seg.units[b].subject,
                        seg.units[a].oblique
                        or seg.units[b].compared
                        or (seg.units[b].oblique and not seg.units[b].latin and not seg.units[b].topic),
                        seg.units[b].predicative or seg.units[a].predicative,
                        seg.units[b].genitive and not seg.units[b].topic,
                    )
                )
    # where two holders overlap ("입력 게이트" inside "입력 게이트 제어기"), the longer one names it
    out.sort(key=lambda x: -(x[3] - x[2]))
    kept: list[Holder] = []
    out.sort(key=lambda x: (-(x[3] - x[2]), x[2]))
    for x in out:
        # overlapping names ("output gate controls" holds "output gate" and "gate control…"):
        # the longer, else the earlier, names the holder
        if not any(k[2] <= x[3] and x[2] <= k[3] and (k[1] == x[1]) and (k[2], k[3]) != (x[2], x[3]) for k in kept):
            kept.append(x)
    return kept


def holders_by_segment(live: list[tuple[int, Segment]], comp: Compiled) -> dict[int, list[Any]]:
    """Each segment's holders; one that names none carries the last holder of the sentence before."""
    out: dict[int, list[Any]] = {}
    last: Any = None
    for i, s in live:
        found = _holder_occurrences(with_context(s), comp) if comp.holders else []
        own = [h for h in found if h[1] >= 0]
        if last is not None and _subjectless(s):
            # the sentence before was about one thing; this one may go on about it
            found = [*found, Holder(last[0], INHERITED, -1, -1, True, False, False, False)]
        # a sentence that contrasts two holders ("dropout은 …, recurrent_dropout은 …") hands on neither
        last = (
            own[-1]
            if own and len({h.term for h in own}) == 1
            else (max(own, key=lambda h: h.last) if own and len({family(h.term, comp) for h in own}) == 1 else None)
        )
        out[i] = found
    return out


_PRONOUNS = {"it", "they", "this", "these", "that", "its", "their", "e", "eg", "such", "like", "example", "for"}


def family(term: str, comp: Compiled) -> frozenset[str]:
    """The holder alternatives that name the same thing as `term` (seq2seq|encoder_decoder)."""
    return frozenset(a for group in comp.holder_groups if term in group for a in group) or frozenset([term])


def _subjectless(seg: Segment) -> bool:
    """A sentence that names no subject of its own ("예: 번역, 음성 인식", "It also …"): it goes on
    about what the one before was about."""
    if not seg.units or not seg.units[0].latin:
        return True  # Korean keeps the topic of the sentence before unless it names another
    words = re.findall(r"[A-Za-z]+", seg.text[:40])
    if words and seg.units and seg.units[0].latin and seg.statement and seg.predicates:
        return words[0].lower() in _PRONOUNS
    return True


def with_context(seg: Segment) -> Segment:
    """The segment with the heading it sits under in front (clause -1, never negated by the body)."""
    ctx = seg.context
    if ctx is None:
        return seg
    cached = getattr(seg, "_combined", None)
    if cached is not None:
        return cached
    n = len(ctx.units) + 1
    units = [moved(u, clause=-1) for u in ctx.units]
    units.append(Unit("\u241f", False, "", -1))  # no term matches across the join
    units += [moved(u, governors=tuple(g + n if g >= 0 else g for g in u.governors)) for u in seg.units]
    combined = Segment(
        text=seg.text,
        units=units,
        statement=seg.statement,
        predicates=seg.predicates,
        separators=seg.separators,
        cuts=seg.cuts,
    )
    seg._combined = combined  # type: ignore[attr-defined]
    return combined
