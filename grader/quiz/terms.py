"""Finding a pattern alternative's words in one segment of an answer.

Exact on the spacing-free concatenation of units, then (only where the segment has
what they need) English words as written with the last one as a prefix, then a
typo match: Korean on jamo, English on Snowball stems. What a search found is
remembered on the segment, since many patterns of a question share their words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from grader.quiz.korean import jamo
from grader.quiz.similar import (
    EN_FUZZ,
    EN_FUZZ_MIN_LETTERS,
    KO_FUZZ,
    KO_FUZZ_MIN_SYLLABLES,
    _ize_apart,
    _ko_typo,
    en_similar,
    ko_similar,
)
from grader.quiz.units import Segment

_STEM_PREFIX = re.compile(r"[a-z]{5,}")
_HANGUL_CHAR = re.compile(r"[\uac00-\ud7a3]")


def is_hangul(s: str) -> bool:
    return _HANGUL_CHAR.search(s) is not None


# (clause, first unit, last unit, found by a typo match)
Occurrence = tuple[int, int, int, bool]


def find(seg: Segment, alt: tuple[str, ...]) -> list[Occurrence]:
    """Each occurrence of `alt` in the segment (empty: absent); remembered per segment,
    since many patterns of a question share their words."""
    if not alt:
        return []
    # keyed by the alternative's search facts, which are one object per forms and words:
    # "state" and "states" analyse alike but differ in their prefix match, so the forms
    # alone would hand one the other's result
    info = getattr(alt, "info", None) or alt_info(alt)
    found = seg.found.get(id(info))
    if found is None:
        absent = info.keys.isdisjoint(seg.__dict__.get("_keys") or _seg_keys(seg))
        found = seg.found[id(info)] = [] if absent else search(seg, alt, info)
    return found


def any_found(seg: Segment, group: list[tuple[str, ...]]) -> bool:
    """Whether some alternative of the group occurs in the segment: `find` unrolled, since
    most groups of most patterns are absent from most sentences and this runs for each."""
    seg_keys = seg.__dict__.get("_keys") or _seg_keys(seg)
    if group_keys(group).isdisjoint(seg_keys):
        return False  # no alternative has even what every way of finding it needs
    memo = seg.found
    for alt in group:
        if not alt:
            continue
        info = getattr(alt, "info", None) or alt_info(alt)
        if info.keys.isdisjoint(seg_keys):
            continue
        found = memo.get(id(info))
        if found is None:
            found = memo[id(info)] = search(seg, alt, info)
        if found:
            return True
    return False


# A sieve before the searches: each way `search` can find an alternative needs something
# cheap to see in the segment (exact: the target's first two characters side by side in
# `concat`; prefix: a word as written with the same first four letters; typo: a Latin
# unit with the same first letter and, for one word, a length within 3; a Hangul syllable
# with the same first letter). An alternative none of whose keys the segment has is absent.
# id(group) -> (the group, kept so that its id is not reused; the keys of its alternatives)
_GROUP_KEYS: dict[int, tuple[list[tuple[str, ...]], frozenset[str]]] = {}


def group_keys(group: list[tuple[str, ...]]) -> frozenset[str]:
    """The keys of every alternative of the group: a segment with none of them has none of it."""
    keys = _GROUP_KEYS.get(id(group))
    if keys is None or keys[0] is not group:
        keys = _GROUP_KEYS[id(group)] = (group, frozenset(k for alt in group if alt for k in alt_info(alt).keys))
    return keys[1]


def seg_keys(seg: Segment) -> frozenset[str]:
    """What the segment has of the keys (see _alt_keys), worked out once per segment."""
    return seg.__dict__.get("_keys") or _seg_keys(seg)


def _alt_keys(alt: tuple[str, ...], info: _AltInfo) -> frozenset[str]:
    target = info.target
    keys = ["E" + target[:2]]
    if info.raw_words:
        keys.append("R" + info.raw_words[0][:4])
    if info.hangul and len(target) >= KO_FUZZ_MIN_SYLLABLES:
        keys += ["S" + target[0], "S" + target[1]]  # a typo leaves all syllables but one
    if info.latin:
        if len(alt) > 1:
            keys.append("L" + target[0])
        elif len(target) >= EN_FUZZ_MIN_LETTERS:
            keys += [f"M{target[0]}{n}" for n in range(len(target) - 3, len(target) + 4)]
    return frozenset(keys)


def _seg_keys(seg: Segment) -> frozenset[str]:
    index = seg.__dict__.get("_index") or _seg_index(seg)
    c = seg.concat
    keys = {"E" + c[i : i + 2] for i in range(len(c))}
    keys.update("E" + ch for ch in c)  # one-character targets ("만", "7")
    keys.update("R" + raw[:4] for _, raw in index.raws)
    keys.update("S" + ch for ch in index.syllables)
    for u in seg.units:
        if u.latin and u.form:
            keys.add("L" + u.form[0])
            keys.add(f"M{u.form[0]}{len(u.form)}")
    seg.__dict__["_keys"] = frozen = frozenset(keys)
    return frozen


class _AltInfo(NamedTuple):
    """What the search needs to know of a pattern alternative, worked out once per alternative."""

    target: str
    strict_start: bool
    strict_end: bool
    raw_words: tuple[str, ...]  # English words as written, for the prefix match ("" : none)
    hangul: bool  # every unit Hangul: typo match on jamo
    latin: bool  # no unit Hangul: typo match on stems
    first_initial: str  # the first letter of the first syllable (Hangul)
    short_words: tuple[str, ...]  # the short words of a Hangul phrase, which must be there as written
    exact_only: bool  # no prefix or typo match can find it: absent when not found as written
    keys: frozenset[str] = frozenset()  # what the segment must have for any search to find it (see _alt_keys)


# keyed by the forms and the words as written: two alternatives that analyse alike
# ("saturat", "saturation") still differ in their prefix match
_ALT_INFO: dict[tuple[tuple[str, ...], tuple[str, ...]], _AltInfo] = {}


def alt_info(alt: tuple[str, ...]) -> _AltInfo:
    info = getattr(alt, "info", None)  # a Phrase keeps its own
    if info is not None:
        return info
    key = (tuple(alt), getattr(alt, "words", ()))
    info = _ALT_INFO.get(key)
    if info is None:
        target = "".join(alt)
        # Latin units and one-syllable Korean units must line up with unit
        # boundaries ("rnn" is not inside "birnn", "층" not inside "계층");
        # longer Korean terms may sit inside a compound ("정규화" in "층정규화")
        strict_start = not is_hangul(alt[0]) or len(alt[0]) == 1
        # an English word of five letters or more may be written as a stem ("dimens",
        # "classif") that the stemmer cuts once more: let it end inside a word
        strict_end = (not is_hangul(alt[-1]) and not _STEM_PREFIX.fullmatch(alt[-1])) or len(alt[-1]) == 1
        words = getattr(alt, "words", ())
        raw: tuple[str, ...] = ()
        if all(u.isascii() for u in alt):
            ws = [w.lower() for w in words if re.fullmatch(r"[A-Za-z]+", w)]
            if ws and len(ws) == len(alt) and len(ws[-1]) >= 4:
                raw = tuple(ws)
        hangul = all(is_hangul(a) for a in alt)
        latin = not any(is_hangul(a) for a in alt)
        info = _AltInfo(
            target,
            strict_start,
            strict_end,
            raw,
            hangul,
            latin,
            jamo(target[0])[0] if hangul and target else "",
            tuple(w for w in words if len(w) < KO_FUZZ_MIN_SYLLABLES) if len(words) > 1 else (),
            not raw
            and (
                (not hangul and not latin)
                or (hangul and len(target) < KO_FUZZ_MIN_SYLLABLES)
                or (latin and not hangul and len(alt) == 1 and len(target) < EN_FUZZ_MIN_LETTERS)
            ),
        )
        info = info._replace(keys=_alt_keys(alt, info))
        _ALT_INFO[key] = info
    if hasattr(alt, "words"):
        alt.info = info  # type: ignore[attr-defined]
    return info


class _SegIndex(NamedTuple):
    """A segment's words arranged for the typo and prefix searches, built once per segment."""

    latin_by_initial: dict[str, list[int]]  # first letter -> indices of Latin units
    raws: list[tuple[int, str]]  # (index, word as written) of Latin units
    raw_heads: frozenset[str]  # those words, and their first four letters
    initials: str  # first letters of every Hangul syllable
    syllables: frozenset[str]  # every Hangul syllable written


def _seg_index(seg: Segment) -> _SegIndex:
    cached = seg.__dict__.get("_index")
    if cached is None:
        by_initial: dict[str, list[int]] = {}
        raws = []
        for i, u in enumerate(seg.units):
            if u.latin:
                by_initial.setdefault(u.form[:1], []).append(i)
                if u.raw:
                    raws.append((i, u.raw))
        cached = _SegIndex(
            by_initial,
            raws,
            frozenset(r for _, w in raws for r in (w, w[:4])),
            "".join(x[2] for x in _initials(seg)),
            frozenset(ch for x in _initials(seg) for ch in x[1]),
        )
        seg.__dict__["_index"] = cached
    return cached


def search(seg: Segment, alt: tuple[str, ...], info: _AltInfo | None = None) -> list[Occurrence]:
    info = info or getattr(alt, "info", None) or alt_info(alt)
    target = info.target
    found: list[Occurrence] = []
    # exact, on the spacing-free concatenation (see _AltInfo for the boundary rules)
    start = seg.concat.find(target)
    if start < 0 and info.exact_only:
        return found  # e.g. a mixed Hangul-Latin term, or one too short for a typo match
    while start >= 0:
        end = start + len(target)
        # a stem may end inside a word, not inside an identifier ("encoder" in "encoder_decoder")
        inside_code = not info.strict_end and end not in seg.ends and not seg.units[seg.unit_at[end - 1]].form.isalpha()
        if not info.strict_end and end not in seg.ends and _ize_apart(target, seg.concat[end : end + 2]):
            inside_code = True  # "normal" is not inside "normaliz(ation)"
        if (
            (not info.strict_start or start in seg.starts)
            and (not info.strict_end or end in seg.ends)
            and not inside_code
        ):
            a, b = seg.unit_at[start], seg.unit_at[end - 1]
            found.append((seg.units[b].clause, a, b, False))
        start = seg.concat.find(target, start + 1)
    if found:
        return found
    # the slower searches only where the segment has what they need (see raw_prefix, fuzzy)
    index = seg.__dict__.get("_index") or _seg_index(seg)
    if info.raw_words and (info.raw_words[0] if len(info.raw_words) > 1 else info.raw_words[0][:4]) in index.raw_heads:
        found = raw_prefix(seg, info.raw_words)
        if found:
            return found
    if info.hangul and (len(target) < KO_FUZZ_MIN_SYLLABLES or info.first_initial not in index.initials):
        return found
    if info.latin and (
        (len(alt) == 1 and len(target) < EN_FUZZ_MIN_LETTERS) or target[:1] not in index.latin_by_initial
    ):
        return found
    return fuzzy(seg, alt, info)


def raw_prefix(seg: Segment, words: tuple[str, ...]) -> list[Occurrence]:
    """English words as written, the last one as a prefix: a rubric's "saturat" or "dimens"
    meets "saturating" and "dimension" whatever the stemmer makes of either. Not across
    -ful/-less: "state" is not "stateless"."""
    k = len(words)
    out: list[Occurrence] = []
    first, last_word = words[0], words[-1]
    for i, raw in _seg_index(seg).raws:
        if (raw != first if k > 1 else not raw.startswith(first)) or i + k > len(seg.units):
            continue
        window = seg.units[i : i + k]
        if not all(u.latin and u.raw for u in window):
            continue
        if all(u.raw == w for u, w in zip(window[:-1], words[:-1])):
            last = window[-1].raw
            rest = last[len(last_word) :]
            if (
                last.isalpha()
                and last.startswith(last_word)
                and not rest.startswith(("ful", "less"))
                and not _ize_apart(last_word, rest)
            ):
                out.append((window[-1].clause, i, i + k - 1, False))
    return out


def _unit_near(seg: Segment, offset: int) -> int:
    best = 0
    for i, u in enumerate(seg.units):
        if u.start <= offset and u.clause >= 0:
            best = i
    return best


_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")


def _initials(seg: Segment) -> list[tuple[int, str, str]]:
    """(offset, word, first letter of each syllable) for every Hangul run: a cheap filter
    before the jamo comparison, whose first letters must agree."""
    cached = seg.found.get(("\0initials",))
    if cached is None:
        cached = [
            (m.start(), m.group(), "".join(jamo(ch)[0] for ch in m.group())) for m in _HANGUL_RUN.finditer(seg.text)
        ]
        seg.found[("\0initials",)] = cached
    return cached


def _as_word(word: str, text: str) -> bool:
    """Whether `word` occurs in `text` where no Hangul syllable comes right before it
    (a regular expression per word cost more to compile than every search it served)."""
    at = text.find(word)
    while at >= 0:
        if at == 0 or not "\uac00" <= text[at - 1] <= "\ud7a3":
            return True
        at = text.find(word, at + 1)
    return False


def fuzzy(seg: Segment, alt: tuple[str, ...], info: _AltInfo) -> list[Occurrence]:
    target = info.target
    if info.hangul:
        if len(target) < KO_FUZZ_MIN_SYLLABLES or not seg.units:
            return []
        first = info.first_initial
        index = _seg_index(seg)
        if first not in index.initials:
            return []  # no syllable starts with the term's first letter: no typo of it either
        if sum(ch in index.syllables for ch in target) < len(target) - 1:
            return []  # one slip leaves all syllables but one as written (see _one_slip)
        # in a phrase of several words, the short ones must be there as
        # written, as words: "마지막 스텝" is not a typo of "마지막 층에만", nor
        # "활성화 함수 … 직후" of "활성화 후"
        if any(not _as_word(w, seg.text) for w in info.short_words):
            return []
        out: list[Occurrence] = []
        # Compare with the written words (a typo may hide a morpheme from the
        # analyser: "프래임을" loses its noun), from any syllable of a word, so
        # compounds are searched too.
        for offset, word, initials in _initials(seg):
            for s in range(len(word)):
                if initials[s] != first:
                    continue
                for width in (len(target) - 1, len(target), len(target) + 1):
                    window = word[s : s + width]
                    if len(window) == width and _ko_typo(target, window):
                        i = _unit_near(seg, offset + s)
                        out.append((seg.units[i].clause, i, i, True))
        return out
    if info.latin:
        k = len(alt)
        if k == 1 and len(target) < EN_FUZZ_MIN_LETTERS:
            return []
        joined = " ".join(alt)
        out = []
        for i in _seg_index(seg).latin_by_initial.get(joined[:1], ()):
            if i + k > len(seg.units):
                break
            head = seg.units[i]
            span = seg.units[i : i + k]
            if k == 1 and abs(len(head.form) - len(joined)) > 3:
                continue
            if all(u.latin for u in span) and en_similar(joined, " ".join(u.form for u in span)):
                out.append((span[-1].clause, i, i + k - 1, True))
        return out
    return []


__all__ = [
    "EN_FUZZ",
    "KO_FUZZ",
    "Occurrence",
    "any_found",
    "en_similar",
    "find",
    "group_keys",
    "ko_similar",
    "search",
    "seg_keys",
]
