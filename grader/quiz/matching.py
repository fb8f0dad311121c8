"""Whether a rubric pattern holds in a segment, and with which polarity.

Every group of a pattern must occur in the sentence (in one clause for `clause:`
patterns, said of the right holder for role patterns); the negators that govern
the words found decide whether it is affirmed or denied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader.quiz.compiled import Compiled
from grader.quiz.holders import INHERITED, bound_holder, bracketed, with_context
from grader.quiz.rubric import Pattern
from grader.quiz.terms import Occurrence, any_found, find, group_keys, seg_keys
from grader.quiz.units import Segment, Unit


@dataclass
class Hit:
    holds: bool = False  # read somewhere with the wanted polarity
    contradicted: bool = False  # read somewhere with the opposite one
    segments: set[int] = field(default_factory=set)
    fuzzy: bool = False  # found only through a typo match
    borrowed: bool = False  # the holder came from a heading or an earlier clause


def _negated(units: list[Unit], occ: Occurrence, covered: set[int]) -> bool:
    """Whether a negator outside the pattern's own words governs the occurrence."""
    _, a, b, _ = occ
    return any(sum(1 for g in units[k].governors if g not in covered) % 2 for k in range(a, b + 1))


@dataclass
class _Match:
    affirmed: bool
    negated: bool
    fuzzy: bool
    borrowed: bool
    clauses: set[int] = field(default_factory=set)


def pattern_hit(
    seg: Segment,
    pattern: Pattern,
    groups: list[list[tuple[str, ...]]],
    holders: list[Any],
    claims_only: bool = False,
    roles: dict[str, set[tuple[str, ...]]] | None = None,
) -> _Match | None:
    """How the pattern reads in the segment, if every group occurs there
    (in one clause for `clause:` patterns; said of the right holder for role patterns)."""
    # role words inside a holder's name ("forget" in "forget gate", 순환 in 순환 층) say nothing
    # about a role; a group may name another holder whole ("… + 선형 모델")
    # most patterns do not occur in most sentences: give up at the first group with no word
    # found, before sorting out whose words they are
    for group in groups:
        if not any_found(seg, group):
            return None
    own = [(h[2], h[3]) for h in holders if h[0] in pattern.holder] if pattern.holder else []
    named = [(h[2], h[3]) for h in holders if h[1] >= 0] if pattern.holder else []
    per_group: list[list[Occurrence]] = []
    group_alts: list[list[tuple[str, ...]]] = []
    for group in groups:
        occ: list[Occurrence] = []
        which: list[tuple[str, ...]] = []
        for alt in group:
            found = find(seg, alt)
            occ.extend(found)
            which.extend([alt] * len(found))
        if named:
            keep = [
                i
                for i, o in enumerate(occ)
                if not any(a <= o[1] and o[2] <= b for a, b in own)
                and not any(a <= o[1] and o[2] <= b and (a, b) != (o[1], o[2]) for a, b in named)
            ]
            occ, which = [occ[i] for i in keep], [which[i] for i in keep]
        if not occ:
            return None
        per_group.append(occ)
        group_alts.append(which)
    roles = roles or {}
    if claims_only and seg.text.rstrip().endswith(("?", "？")):
        return None  # "Dense에도 필요?": a question asked, not a claim made
    if claims_only and all(all(o[0] < 0 for o in occ) for occ in per_group):
        return None  # all of it in the heading above: the heading is scored (or asked) on its own
    if claims_only and all(
        all(seg.units[k].hypothetical for o in occ for k in range(o[1], o[2] + 1)) for occ in per_group
    ):
        return None  # a misconception is a claim, not a condition ("미래 값을 보면 정답을 엿보는 셈")
    borrowed = False
    if pattern.clause:
        # the heading's units (clause -1) go with every clause of the line under it
        body = [{c for c, *_ in occ if c >= 0} for occ in per_group]
        wild = [any(c < 0 for c, *_ in occ) for occ in per_group]
        candidates = set.union(*body) if body else set()
        shared = {c for c in candidates if all(c in b or w for b, w in zip(body, wild))}
        if not shared and all(wild):
            shared = {-1}
        if not shared:
            return None
        if pattern.holder:
            # the role is bound where its first word is said; where that word is only in the
            # heading or the line's label ("state: LSTM은 두 개 → GRU는 하나로 합침"), where the
            # first of the others is said in the body
            if not any(o[0] in shared for o in per_group[0]):
                g = next((g for g in range(1, len(per_group)) if any(o[0] in shared for o in per_group[g])), 0)
                if g:
                    order = [g] + [k for k in range(len(per_group)) if k != g]
                    per_group = [per_group[k] for k in order]
                    group_alts = [group_alts[k] for k in order]
                    groups = [groups[k] for k in order]
            anchors = []
            # a claim names whom it is about in its own sentence (not in code between brackets),
            # or in the heading above it
            bind = [h for h in holders if h.clause != INHERITED and not bracketed(seg, h)] if claims_only else holders
            for o in per_group[0]:
                if o[0] not in shared and not (o[0] < 0 and -1 in shared):
                    continue
                h, lent = bound_holder(seg, bind, o[0], o[1], o[2])
                # "*": the role may go unsaid whose it is ("병렬로 계산된다" about the layer asked of)
                if (h is not None and h[0] in pattern.holder) or (h is None and "*" in pattern.holder):
                    anchors.append(o)
                    borrowed = borrowed or lent
            if not anchors:
                return None
            shared = {o[0] for o in anchors}
            per_group[0] = anchors
            group_alts[0] = [group_alts[0][0]] * len(anchors)
            # the other parts of the role belong to the same holder: "LSTM은 h와 c를, GRU는 h만"
            # does not say that the GRU has c
            # (only where the other holder has that same role word: "RNNs must have the trend
            # removed" binds "removed" to no rival of the RNN)
            for g in range(1, len(per_group)):
                words = set(groups[g])
                mine = []
                for o, _alt in zip(per_group[g], group_alts[g]):
                    if o[0] < 0:
                        mine.append(o)
                        continue
                    h, _ = bound_holder(seg, holders, o[0], o[1], o[2])
                    rival = h is not None and h[0] not in pattern.holder and words & roles.get(h[0], set())
                    if not rival:
                        mine.append(o)
                if not mine:
                    return None
                per_group[g] = mine
        per_group = [[o for o in occ if o[0] in shared or o[0] < 0] for occ in per_group]
        if any(not occ for occ in per_group):
            return None
        if claims_only and all(
            all(seg.units[k].hypothetical for o in occ for k in range(o[1], o[2] + 1)) for occ in per_group
        ):
            return None  # the clause that holds it is a condition ("ReLU 쓰면 터질 수 있음")
    covered = {k for occ in per_group for o in occ for k in range(o[1], o[2] + 1)}
    if pattern.holder:
        covered |= {k for h in holders if h[0] in pattern.holder for k in range(h[2], h[3] + 1)}
    affirmed = all(any(not _negated(seg.units, o, covered) for o in occ) for occ in per_group)
    negated = any(any(_negated(seg.units, o, covered) for o in occ) for occ in per_group)
    fuzzy = any(all(o[3] for o in occ) for occ in per_group)  # some group found only as a typo
    return _Match(affirmed, negated, fuzzy, borrowed, {o[0] for occ in per_group for o in occ})


# "그 자체로는", "단독으로는", "by itself", "alone": a denial of what one part does alone,
# said on the way to what it does with the others, does not deny the whole idea
_BY_ITSELF = {"자체", "단독", "혼자", "혼자서", "itself", "alon"}


def _by_itself(seg: Segment, clauses: set[int]) -> bool:
    return any(u.form in _BY_ITSELF and u.clause in clauses for u in seg.units)


def scan(
    doc_segments: list[tuple[int, Segment]],
    comp: Compiled,
    patterns: list[Pattern],
    unless: list[Pattern],
    polarity: str,
    deadline: Callable[[], None],
    holders: dict[int, list[Any]],
    claims_only: bool = False,
) -> Hit:
    """Where the patterns hold, and whether they were read in the wanted polarity."""
    hit = Hit()
    exact = False
    unless_alts = [(u, comp.alts(u), [group_keys(g) for g in comp.alts(u)]) for u in unless]
    pattern_alts = [(p, comp.alts(p), comp.unless(p), [group_keys(g) for g in comp.alts(p)]) for p in patterns]
    for idx, seg in doc_segments:
        deadline()
        full = with_context(seg)
        hs = holders[idx]
        have = seg_keys(full)
        # a pattern some group of which has none of its keys in the sentence cannot hold
        # there (the first thing pattern_hit finds out, at the cost of a call per pattern)
        if any(pattern_hit(full, u, alts, hs) for u, alts, need in unless_alts if not any(map(have.isdisjoint, need))):
            continue
        for p, alts, p_unless, need in pattern_alts:
            if any(map(have.isdisjoint, need)):
                continue
            r = pattern_hit(full, p, alts, hs, claims_only, comp.roles)
            if r is None:
                continue
            cancel = [o for a in p_unless for o in find(full, a)]
            if cancel and not p.clause:
                continue
            if cancel and (r.clauses & {o[0] for o in cancel} or any(o[0] < 0 for o in cancel)):
                continue  # in a clause pattern, "! …" cancels within the clause it matched
            pol = p.polarity or polarity
            if pol == "any" or (pol == "affirm" and r.affirmed) or (pol == "negate" and r.negated):
                hit.holds = True
                hit.segments.add(idx)
                exact = exact or not r.fuzzy
                hit.borrowed = hit.borrowed or r.borrowed
            elif pol == "affirm" and not _by_itself(full, r.clauses):
                # only an explicit negator contradicts; a plain mention of a
                # term a `not:` pattern wants denied is just not the point
                hit.contradicted = True
    hit.fuzzy = hit.holds and not exact
    return hit
