"""Korean/English text → sentences of comparable units.

Korean goes through kiwipiepy: particles (J*) and endings (E*) are dropped, so
"층 정규화를" and "층정규화" compare equal once units are joined without spaces.
English words are lower-cased and Snowball-stemmed; code identifiers
(`return_sequences`, `Conv1D`) stay whole. Each unit knows whether a negator
governs it: Korean negators follow what they negate (않/없/못하, 안·못 before the
verb), English ones precede it ("not", "n't", "without"), and `False` follows
the flag it turns off. Negation is counted per clause, so "-지 않으면 안 된다"
(an obligation) cancels out.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_KIWI: Any = None
_KIWI_LOCK = threading.Lock()


def kiwi() -> Any:
    """One analyser per process: it takes ~1.4 s and ~330 MB to start."""
    global _KIWI
    with _KIWI_LOCK:
        if _KIWI is None:
            from kiwipiepy import Kiwi

            k = Kiwi(load_typo_dict=False, load_multi_dict=False)
            # Keep identifiers and English contractions whole; kiwi would cut
            # `return_sequences` at the underscore and "don't" at the apostrophe.
            k.add_re_word(r"[A-Za-z_][A-Za-z0-9_]*(?:'[a-z]+)?", "SL")
            _KIWI = k
        return _KIWI


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


KO_CONTENT = {"NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "VCN", "MAG", "MM", "XR", "XPN", "XSN",
              "SL", "SN", "SH", "W_SERIAL"}
KO_KEEP = {("만", "JX"), ("뿐", "JX")}     # "마지막 층에만": the restriction matters
KO_NEGATORS = {("않", "VX"), ("못하", "VX"), ("없", "VA"), ("안", "MAG"), ("못", "MAG"),
               ("아니", "VCN"), ("말", "VX")}
# Connective endings that close a clause. Not -면: "-지 않으면 안 된다" must stay
# one clause so its two negators cancel.
KO_CLAUSE_EC = {"고", "지만", "는데", "은데", "ᆫ데", "며", "으며", "면서", "으면서", "어서", "아서", "여서",
                "니까", "으니까", "므로", "으므로", "나", "으나", "는데도", "지마는", "라서", "니"}
EN_NEG_PREFIX = {"not", "no", "never", "without", "cannot", "neither", "nor", "none", "nothing"}
EN_NEG_POSTFIX = {"false"}
EN_CLAUSE = {"but", "while", "whereas", "although", "though", "because", "since", "so", "which", "however"}
EN_STOP = {"the", "a", "an", "of", "is", "are", "be", "been", "being", "was", "were", "its", "their", "this",
           "that", "these", "those", "it", "to", "in", "on", "at", "for", "by", "with", "as", "and", "or",
           "will", "would", "should", "could", "also", "very", "just", "then", "there", "they", "you", "we",
           "i", "do", "does", "did", "has", "have", "had", "can", "may", "might", "must", "into",
           "some", "such", "from", "which"}
# Auxiliaries and verbs that rarely name a concept: their presence means the
# text says something. Not "forget", "output", "return": "forget gate" is a term.
EN_VERBISH = {"is", "are", "was", "were", "be", "been", "can", "could", "should", "must", "will", "would",
              "may", "might", "do", "does", "did", "has", "have", "had", "use", "uses", "used", "using",
              "need", "needs", "needed", "let", "lets", "make", "makes", "get", "gets", "keep", "keeps",
              "help", "helps", "allow", "allows", "give", "gives", "mean", "means", "returns", "predicts",
              "outputs", "take", "takes", "learns", "sets", "adds", "apply", "applies", "feeds", "passes",
              "decide", "decides", "controls", "reduce", "reduces", "runs", "processes", "computes",
              "forgets", "stores", "avoid", "avoids", "handle", "handles", "classify", "classifies",
              "generates", "produce", "produces", "maps", "become", "becomes", "goes", "see", "sees"}
_NEG_CONTRACTION = re.compile(r"n't$|n’t$")
_SEGMENT_SPLIT = re.compile(r"(?:\r?\n)+|(?<=[.?!。])\s+|[;；]\s*|(?<=[다요죠음함임])\.(?=\S)")
_CAMEL = re.compile(r"[A-Z]?[a-z]+(?:[A-Z][a-z]+)+")
_CODEISH = re.compile(r"[_=0-9]|[a-z][A-Z]|^[A-Z0-9]{2,6}$")


@dataclass
class Unit:
    form: str
    latin: bool
    negator: str = ""       # "", "pre", "pre-ko", "post" or "flag"
    clause: int = 0
    negated: bool = False
    start: int = 0          # offset in the segment's text
    topic: bool = False     # marked by 은/는
    argument: bool = False  # marked by 이/가 or 을/를


@dataclass
class Segment:
    text: str
    units: list[Unit]
    statement: bool
    concat: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    unit_at: list[int] = field(default_factory=list)   # char index in concat -> unit index

    def __post_init__(self) -> None:
        pos = 0
        self.starts, self.ends, self.unit_at = [], [], []
        for i, u in enumerate(self.units):
            self.starts.append(pos)
            pos += len(u.form)
            self.ends.append(pos)
            self.unit_at.extend([i] * len(u.form))
        self.concat = "".join(u.form for u in self.units)


@dataclass
class Doc:
    text: str
    segments: list[Segment]
    lang: str


class Phrase(tuple):
    """A pattern alternative's unit forms, remembering the words as written."""

    words: tuple[str, ...]

    def __new__(cls, forms: tuple[str, ...], words: tuple[str, ...]) -> "Phrase":
        obj = super().__new__(cls, forms)
        obj.words = words
        return obj


class Normalizer:
    """Applies the bank's spelling variants, then analyses text into segments."""

    def __init__(self, variants: dict[str, list[str]] | None = None) -> None:
        self._variants = [(re.compile(alt, re.IGNORECASE), canon)
                          for canon, alts in (variants or {}).items() for alt in alts]
        self._phrases: dict[str, Phrase] = {}

    def canonical(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
        for rx, canon in self._variants:
            text = rx.sub(f" {canon} ", text)
        return text

    def analyse(self, text: str) -> Doc:
        text = self.canonical(text)
        segments = []
        for piece in _SEGMENT_SPLIT.split(text):
            piece = piece.strip(" \t-*•·>#")
            if piece:
                seg = self._segment(piece)
                if seg.units:
                    segments.append(seg)
        return Doc(text=text, segments=segments, lang=answer_language(text))

    def phrase(self, text: str) -> Phrase:
        """A pattern alternative as unit forms, analysed exactly like answers are."""
        if text not in self._phrases:
            forms = tuple(u.form for u in self._segment(self.canonical(text)).units)
            if not forms and re.search(r"[\uac00-\ud7a3]$", text):
                # a bare verb stem ("쓰", "어렵") is ambiguous alone; as a
                # dictionary form it analyses the way it does inside a sentence
                forms = tuple(u.form for u in self._segment(self.canonical(text + "다")).units)
            self._phrases[text] = Phrase(forms, tuple(self.canonical(text).split()))
        return self._phrases[text]

    def _segment(self, text: str) -> Segment:
        units: list[Unit] = []
        clause = 0
        related = False      # endings, particles or function words: the text states something
        latin_words = 0
        prev = ("", "")
        for tok in kiwi().tokenize(text):
            # kiwi marks irregular conjugation on the tag ("VA-I", "VV-R")
            form, tag = tok.form, tok.tag.split("-")[0]
            prev, here = (form, tag), prev
            if here == ("불", "XPN") and form in ("가능", "필요"):
                # 불가능 / 불필요: "병렬화는 불가능하다" denies what precedes
                units.append(Unit(form, False, "post", clause, start=tok.start))
                continue
            # an adjective before a noun ("같은 가중치") is still a list item;
            # a final or connective ending, or a particle, relates the words
            if tag in ("EF", "EC", "ETN") or tag.startswith("J"):
                related = True
            if (form, tag) in (("은", "JX"), ("는", "JX")) and units:
                units[-1].topic = True
            if tag in ("JKS", "JKO") and units:
                units[-1].argument = True
            if (tag == "EC" and form in KO_CLAUSE_EC) or tag in ("SSO", "SSC"):
                clause += 1
                continue
            if tag == "SL":
                for word in _split_latin(form):
                    low = word.lower()
                    latin_words += 1
                    if low in ("and", "or") and here[1] == "SP":
                        clause += 1     # ", and …" starts a new clause: "never X, and Y is kept"
                    if low in EN_VERBISH or low in EN_STOP:
                        related = True
                    if low in EN_CLAUSE:
                        # a new clause, but the word stays matchable ("all but the top")
                        clause += 1
                        units.append(Unit(low, True, "", clause, start=tok.start))
                        continue
                    if (low in EN_NEG_PREFIX and word != "None") or _NEG_CONTRACTION.search(low):
                        units.append(Unit("not", True, "pre", clause, start=tok.start))
                        continue
                    if low in EN_NEG_POSTFIX:
                        units.append(Unit(low, True, "flag", clause, start=tok.start))
                        continue
                    if low in EN_STOP:
                        continue
                    units.append(Unit(_latin_form(word), True, "", clause, start=tok.start))
                continue
            if tag not in KO_CONTENT and (form, tag) not in KO_KEEP:
                continue
            neg = ""
            if (form, tag) in KO_NEGATORS:
                neg = "pre-ko" if form in ("안", "못") else "post"
            units.append(Unit(form.lower() if tag == "SN" else form, False, neg, clause, start=tok.start))
        _mark_negation(units)
        # arrows and colons relate terms too ("seq2seq -> every layer")
        related = related or bool(re.search(r"->|→|=>|:", text))
        # three or more English words without a comma read as prose, not a list
        related = related or (latin_words >= 3 and "," not in text)
        return Segment(text=text, units=units, statement=related)


def _split_latin(form: str) -> list[str]:
    # kiwi hands over Latin runs whole ("time steps" arrives as two SL tokens,
    # but "x=1" or "a/b" may not); cut at anything that is not part of a word.
    return [w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:'[a-z]+)?|[0-9]+", form) if w]


def _latin_form(word: str) -> str:
    low = word.lower()
    if _CODEISH.search(word) and not _CAMEL.fullmatch(word):
        return low                   # identifiers and acronyms match as written
    if low.endswith(("ful", "less")):
        return low                   # Snowball makes "stateful" "state"
    # CamelCase class names stem like their lower-case spelling, so a rubric's
    # "timedistributed" meets an answer's "TimeDistributed"
    return _stemmer().stemWord(low)


def _topic_outside(units: list[Unit], i: int, j: int) -> bool:
    """Whether unit i sits in a topic that the negator at j does not deny.

    "GRU는 c가 없다" denies c, not GRU; "병렬화는 불가능하다" denies the topic
    itself: a subject or object between topic and negator takes the negation.
    """
    topic = next((k for k in range(i, j) if units[k].topic), None)
    return topic is not None and any(units[k].argument for k in range(topic + 1, j))


def _mark_negation(units: list[Unit]) -> None:
    """Mark the units a negator governs, within their clause.

    A Korean negator (않, 없, 못하, 아니; 안/못 before the verb) governs what
    comes before it up to the previous negator, so "포화되지 않는 함수는 쓰지
    않는다" negates both parts once each instead of cancelling out. A negator
    followed at once by another ("-지 않으면 안 된다") is an obligation: no
    negation. English negators govern what follows them; `False` only the flag
    right before it.
    """
    n = len(units)
    for i, u in enumerate(units):
        if u.negator:
            continue
        negated = False
        if i + 1 < n and units[i + 1].negator == "flag":
            negated = True
        for j in range(i + 1, n):                   # nearest Korean negator after it
            v = units[j]
            if v.clause != u.clause:
                break
            if v.negator in ("post", "pre-ko"):
                if _topic_outside(units, i, j):
                    break
                double = any(w.negator in ("post", "pre-ko") and w.clause == v.clause
                             for w in units[j + 1:j + 3])
                negated ^= not double
                break
        for j in range(i - 1, -1, -1):              # English negator before it
            v = units[j]
            if v.clause != u.clause:
                break
            if v.negator == "pre":
                negated ^= True
                break
            if v.negator == "pre-ko" and j == i - 1:
                break
        u.negated = negated


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_=']*")


def answer_language(text: str) -> str:
    """'ko' or 'en': which language carries the prose (code and acronyms do not count)."""
    hangul = len(_HANGUL.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text) if not _CODEISH.search(w))
    # one Hangul syllable carries about as much as two or three Latin letters
    return "ko" if hangul * 2.5 >= latin and hangul > 0 else "en"


def jamo(text: str) -> str:
    """Hangul syllables decomposed into letters, so one typo costs one letter, not a syllable."""
    return unicodedata.normalize("NFD", text)
