"""Korean/English text → sentences of comparable units.

Korean goes through kiwipiepy: particles (J*) and endings (E*) are dropped, so
"층 정규화를" and "층정규화" compare equal once units are joined without spaces.
English words are lower-cased and Snowball-stemmed; code identifiers
(`return_sequences`, `Conv1D`) stay whole. Each unit knows which negators
govern it: Korean negators follow what they negate (않/없/못하, 안·못 before the
verb, and the "difficult" words 어렵/힘들), English ones precede it ("not",
"n't", "without", "hard to"), and `False` follows the flag it turns off.
Negation is counted per clause, so "-지 않으면 안 된다" (an obligation) cancels
out, "-지만" and "반면" keep a concession's polarity in its own clause, and a
clause such as "그렇지 않다" / "that is not true" denies the one before it.

Lines that end with a colon, markdown headings and short lines that open a
bullet list are headings: the lines under them carry them as `context`, so
"LSTM:\\n- 게이트 세 개" says the three gates of the LSTM.

This module splits lines and reads headings; one sentence is analysed by
`clauses` (with `korean`, `english`, `negation` and `lists`) into the types of `units`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from grader.quiz.clauses import segment
from grader.quiz.english import answer_language
from grader.quiz.korean import jamo, kiwi, register_terms, splits_into_nouns
from grader.quiz.negation import deny_previous
from grader.quiz.units import Doc, Phrase, Segment, Unit

_SENTENCE_SPLIT = re.compile(r"(?<=[.?!。])\s+|[;；]\s*|(?<=[다요죠음함임])\.(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣○●►]|\d{1,2}[.)]|[①-⑳]|\(?[a-zA-Z가-하][.)])\s*")
# a short label before a colon ("LSTM: …", "seq2vec: …"), not a sentence ("입력은 3차원이에요: …");
# one to three words, each run of letters read one way only: "(?:[^\s]+\s*){1,3}" could cut a
# long unspaced run in n² ways and took minutes on one line of 3,000 Hangul syllables
_LABEL = re.compile(r"^\s*([^\s:：.?!]+(?:\s+[^\s:：.?!]+){0,2}\s*)[:：]\s*\S")


def _is_heading_text(line: str) -> bool:
    s = line.strip()
    return bool(s) and (
        s.endswith((":", "：")) or s.startswith("#") or bool(re.fullmatch(r"\*\*[^*]+\*\*\s*[:：]?", s))
    )


def _any_of(alts: list[str]) -> re.Pattern[str] | None:
    """One pattern that finds any of the variants' spellings, to skip a text that holds none
    (most answers hold none, and a pass per variant cost as much as reading the sentences).
    None where joining could change what one of them means (a back-reference counts groups)."""
    if not alts or any(re.search(r"\\[1-9]|\(\?P=|\(\?\(", a) for a in alts):
        return None
    try:
        return re.compile("|".join(f"(?:{a})" for a in alts), re.IGNORECASE)
    except re.error:
        return None


def _spaced(m: re.Match[str], canon: str) -> str:
    """The canonical spelling set apart from its neighbours, except from a Korean particle
    or ending right after it: "seq2seq는" spaced as "seq2seq 는" is read as the verb 늘다."""
    after = m.string[m.end() : m.end() + 1]
    return f" {canon}" if after and "\uac00" <= after <= "\ud7a3" else f" {canon} "


class Normalizer:
    """Applies the bank's spelling variants, then analyses text into segments."""

    def __init__(
        self, variants: dict[str, list[str]] | None = None, note_predicates: frozenset[str] = frozenset()
    ) -> None:
        self._variants = [
            (re.compile(alt, re.IGNORECASE), canon) for canon, alts in (variants or {}).items() for alt in alts
        ]
        self._any_variant = _any_of([alt for alts in (variants or {}).values() for alt in alts])
        self._phrases: dict[str, Phrase] = {}
        # study-note endings: "특성 추출 → …", "LSTM으로 해결" end on a noun that acts as the verb
        self._note_predicates = note_predicates

    def canonical(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
        if self._any_variant is not None and self._any_variant.search(text) is None:
            return text  # no spelling to unify: every substitution below would leave it as it is
        for rx, canon in self._variants:
            text = rx.sub(functools.partial(_spaced, canon=canon), text)
        return text

    def analyse(self, text: str, deadline: Any = None) -> Doc:
        """The answer as segments; `deadline()` is called between lines and may raise."""
        text = self.canonical(text)
        lines = text.splitlines()
        kinds = [self._line_kind(lines, i) for i in range(len(lines))]
        segments: list[Segment] = []
        heading: Segment | None = None  # under a heading until the next one (or a new paragraph)
        leadin: Segment | None = None  # a line that opens a bullet list, for that list only
        blank_since = False
        for i, line in enumerate(lines):
            if deadline is not None:
                deadline()
            kind = kinds[i]
            if kind == "blank":
                blank_since = True
                continue
            bullet = kind == "bullet"
            if heading is not None and blank_since and not bullet:
                heading = None
            if not bullet:
                leadin = None
            blank_since = False
            body = _BULLET.sub("", line, count=1) if bullet else line
            context = leadin or heading
            label = _LABEL.match(body)
            if label and re.search(r"(다|요|음|함|임)\s*$", label.group(1).strip()):
                label = None
            first = len(segments)
            for piece in _SENTENCE_SPLIT.split(body):
                piece = piece.strip(" \t-*•·>#")
                if not piece:
                    continue
                seg = self._segment(piece)
                if not seg.units:
                    continue
                if kind == "heading":
                    seg.heading = True
                elif context is not None:
                    seg.context = context
                if label and len(segments) > first and seg.context is None:
                    # "LSTM: 게이트가 세 개다. 상태는 두 개다.": the label speaks for the whole line
                    seg.context = self._segment(label.group(1))
                elif label and len(segments) == first:
                    # and for every clause of its own sentence ("state: LSTM은 두 개 → GRU는 하나로
                    # 합침" says the GRU's state is one), under the heading when there is one
                    lead = label.group(1) if seg.context is None else f"{seg.context.text} {label.group(1)}"
                    seg.context = self._segment(lead)
                deny_previous(segments, seg)
                segments.append(seg)
            if len(segments) > first:
                last = segments[-1]
                if kind == "heading":
                    heading = last
                elif i + 1 < len(kinds) and kinds[i + 1] == "bullet" and not bullet:
                    leadin = last
        return Doc(text=text, segments=segments, lang=answer_language(text))

    @staticmethod
    def _line_kind(lines: list[str], i: int) -> str:
        line = lines[i]
        if not line.strip():
            return "blank"
        if _BULLET.match(line) and not re.match(r"^\s*\d+\.\d", line):
            return "bullet"
        if _is_heading_text(line):
            return "heading"
        # a short line with no sentence ending that opens a bullet list: "LSTM\n- …"
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            nxt
            and _BULLET.match(nxt)
            and len(line.strip()) <= 30
            and not re.search(r"[.?!。]\s*$", line)
            and not re.search(r"(다|요|음|함|임)\s*$", line.strip())
        ):
            return "heading"
        return "line"

    def phrase(self, text: str) -> Phrase:
        """A pattern alternative as unit forms, analysed exactly like answers are."""
        if text not in self._phrases:
            forms = tuple(u.form for u in self._segment(self.canonical(text)).units)
            if re.search(r"[\uac00-\ud7a3]$", text):
                # a bare verb stem ("쓰", "줄이") is ambiguous alone (줄이 reads as 줄 + 이);
                # as a dictionary form it analyses the way it does inside a sentence
                stem = (text.replace(" ", ""),)
                for frame in ("다", "고", "는"):
                    as_verb = tuple(u.form for u in self._segment(self.canonical(text + frame)).units)
                    if as_verb == stem:
                        forms = as_verb
                        break
                    if not forms and frame == "다":
                        forms = as_verb
            self._phrases[text] = Phrase(forms, tuple(self.canonical(text).split()))
        return self._phrases[text]

    def _segment(self, text: str) -> Segment:
        return segment(text, self._note_predicates)


__all__ = [
    "Doc",
    "Normalizer",
    "Phrase",
    "Segment",
    "Unit",
    "answer_language",
    "jamo",
    "kiwi",
    "register_terms",
    "splits_into_nouns",
]
