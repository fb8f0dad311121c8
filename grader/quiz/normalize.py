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
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_KIWI: Any = None
_KIWI_LOCK = threading.Lock()


_NOUNISH = {"NNG", "NNP", "NNB", "NR", "XSN", "XPN", "SL", "SN"}
_TERMS: set[str] = set()


def register_terms(words: set[str] | frozenset[str]) -> None:
    """Nouns the analyser must keep whole (lexicon.toml `notes.nouns`), before it first runs.

    Without the default user dictionary (113,000 mostly proper nouns, see
    kiwi()) a rare term can come apart differently alone and in a sentence
    ("선형" alone is 선 + 형, "선형으로" is 서 + 형). Registering the bank's
    compound nouns keeps them whole in patterns and answers alike. Words must
    be added before the analyser's first use: adding one later rebuilds it
    (about 1.5 s).
    """
    new = set(words) - _TERMS
    if not new:
        return
    _TERMS.update(new)
    with _KIWI_LOCK:
        if _KIWI is not None:
            for w in sorted(new):
                _KIWI.add_user_word(w, "NNG", 0.0)


def splits_into_nouns(word: str) -> bool:
    """Whether a Hangul word comes apart into several nouns: a candidate for `notes.nouns`."""
    toks = kiwi().tokenize(word)
    verb = kiwi().tokenize(word + "다")
    if len(verb) == 2 and verb[0].form == word and verb[0].tag.split("-")[0] in ("VV", "VA"):
        return False  # a verb stem ("구하"), analysed whole in a sentence
    return (
        len(toks) > 1
        and all(t.tag.split("-")[0] in _NOUNISH for t in toks)
        and any(t.tag.startswith("NN") for t in toks)
        and word not in _TERMS
    )


def kiwi() -> Any:
    """One analyser per process, created on first use.

    Without the default user dictionary (113,000 mostly proper nouns) it
    starts in about half the time; the bank's own terms are registered
    instead (register_terms), and matching runs on the spacing-free
    concatenation of units, so spacing and segmentation rarely matter.
    """
    global _KIWI
    with _KIWI_LOCK:
        if _KIWI is None:
            from kiwipiepy import Kiwi

            k = Kiwi(load_typo_dict=False, load_multi_dict=False, load_default_dict=False)
            # Keep identifiers and English contractions whole; kiwi would cut
            # `return_sequences` at the underscore and "don't" at the apostrophe.
            k.add_re_word(r"[A-Za-z_][A-Za-z0-9_]*(?:'[a-z]+)?", "SL")
            for w in sorted(_TERMS):
                k.add_user_word(w, "NNG", 0.0)
            _KIWI = k
        return _KIWI


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


KO_CONTENT = {
    "NNG",
    "NNP",
    "NNB",
    "NR",
    "NP",
    "VV",
    "VA",
    "VX",
    "VCN",
    "MAG",
    "MM",
    "XR",
    "XPN",
    "XSN",
    "SL",
    "SN",
    "SH",
    "W_SERIAL",
}
# "마지막 층에만", "스텝마다": the restriction matters; "A보다 낫다": so does the comparison
KO_KEEP = {("만", "JX"), ("뿐", "JX"), ("마다", "JX"), ("보다", "JKB")}
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
KO_PREDICATE_TAGS = {"VV", "VA", "XSV", "XSA", "VCP", "VCN"}
# Connective endings that close a clause. Not -면: "-지 않으면 안 된다" must stay
# one clause so its two negators cancel.
KO_CLAUSE_EC = {
    "고",
    "지만",
    "는데",
    "은데",
    "ᆫ데",
    "며",
    "으며",
    "면서",
    "으면서",
    "어서",
    "아서",
    "여서",
    "니까",
    "으니까",
    "므로",
    "으므로",
    "나",
    "으나",
    "는데도",
    "지마는",
    "라서",
    "니",
}
KO_CLAUSE_WORDS = {("반면", "NNG"), ("반면에", "MAG")}
KO_ADVICE = {("되", "VV"), ("좋", "VA"), ("돼", "VV")}  # "-면 된다", "-면 좋다": advice, not a condition
KO_CONDITIONAL = {"면", "으면", "다면", "라면", "ᆫ다면", "는다면", "으면은"}
KO_QUOTATIVE = {"다고", "라고", "ᆫ다고", "는다고", "냐고", "다는", "라는"}
KO_QUOTATIVE_ETM = {"다는", "라는", "ᆫ다는", "는다는", "냐는"}
KO_SAYING = {"말", "얘기", "이야기", "주장", "소리", "설명", "의견", "견해", "통념"}
KO_CONCESSIVE = {"는데", "은데", "ᆫ데", "지만", "나", "으나", "는데도"}
KO_EXCEPT_VERBS = {"빼", "제외하", "말", "포함하", "빼놓", "비롯하"}
KO_INSTEAD = {("대신", "NNG"), ("대신", "MAG"), ("대신에", "MAG")}
EN_NEG_PREFIX = {"not", "no", "never", "without", "cannot", "neither", "nor", "none", "nothing"}
EN_SOFT_NEG = {"hard", "difficult", "impossible", "unable", "fail", "fails", "failed", "failing"}
EN_NEG_POSTFIX = {"false"}
EN_PREPOSITIONS = {
    "of",
    "from",
    "to",
    "into",
    "in",
    "on",
    "with",
    "at",
    "for",
    "onto",
    "through",
}  # not "by": the agent
# not "which": "decides which parts to erase" is one clause
EN_CLAUSE = {"but", "while", "whereas", "although", "though", "because", "since", "so", "however", "than"}
EN_STOP = {
    "the",
    "a",
    "an",
    "of",
    "is",
    "are",
    "be",
    "been",
    "being",
    "was",
    "were",
    "its",
    "their",
    "this",
    "that",
    "these",
    "those",
    "it",
    "to",
    "in",
    "on",
    "at",
    "for",
    "by",
    "with",
    "as",
    "and",
    "or",
    "will",
    "would",
    "could",
    "also",
    "very",
    "just",
    "then",
    "there",
    "they",
    "you",
    "we",
    "i",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "can",
    "may",
    "might",
    "into",
    "some",
    "such",
    "from",
    "which",
}
# Auxiliaries and verbs that rarely name a concept: their presence means the
# text says something. Not "forget", "output", "return": "forget gate" is a term.
EN_VERBISH = {
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "can",
    "could",
    "should",
    "must",
    "will",
    "would",
    "may",
    "might",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "use",
    "uses",
    "used",
    "using",
    "need",
    "needs",
    "needed",
    "let",
    "lets",
    "make",
    "makes",
    "get",
    "gets",
    "keep",
    "keeps",
    "help",
    "helps",
    "allow",
    "allows",
    "give",
    "gives",
    "mean",
    "means",
    "returns",
    "predicts",
    "outputs",
    "take",
    "takes",
    "learns",
    "sets",
    "adds",
    "apply",
    "applies",
    "feeds",
    "passes",
    "decide",
    "decides",
    "controls",
    "reduce",
    "reduces",
    "runs",
    "processes",
    "computes",
    "forgets",
    "stores",
    "avoid",
    "avoids",
    "handle",
    "handles",
    "classify",
    "classifies",
    "generates",
    "produce",
    "produces",
    "maps",
    "become",
    "becomes",
    "goes",
    "see",
    "sees",
}
_NEG_CONTRACTION = re.compile(r"n't$|n’t$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.?!。])\s+|[;；]\s*|(?<=[다요죠음함임])\.(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣○●►]|\d{1,2}[.)]|[①-⑳]|\(?[a-zA-Z가-하][.)])\s*")
_CAMEL = re.compile(r"[A-Z]?[a-z]+(?:[A-Z][a-z]+)+")
_CODEISH = re.compile(r"[_=0-9]|[a-z][A-Z]|^[A-Z0-9]{2,6}$")
# What separates the items of a list, whichever way it is typed
_SEPARATOR = re.compile(
    r",(?!\d{3}\b)|[、/・|&]|(?<![A-Za-z0-9])·|·(?![A-Za-z0-9])|(?<!\S)\+(?!\S)|(?<![A-Za-z])및(?![가-힣])"
)
# a short label before a colon ("LSTM: …", "seq2vec: …"), not a sentence ("입력은 3차원이에요: …")
_LABEL = re.compile(r"^\s*((?:[^\s:：.?!]+\s*){1,3}?)\s*[:：]\s*\S")
_ARROW = re.compile(r"->|→|=>|⇒|⟶")
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
LIST_PARTS = 4  # a lead-in ("문제: A, B, C") may introduce this many items and still state something
_DENIAL_MAX = 24  # characters: a denial is short; longer text says something of its own


@dataclass
class Unit:
    form: str
    latin: bool
    negator: str = ""  # "", "pre", "pre-ko", "post" or "flag"
    clause: int = 0
    negated: bool = False
    start: int = 0  # offset in the segment's text
    topic: bool = False  # marked by 은/는
    argument: bool = False  # marked by 이/가 or 을/를
    governors: tuple[int, ...] = ()  # indices of the negators that govern it (negative: a denial clause)
    raw: str = ""  # an English word as written (lower case), before stemming
    boundary: bool = False  # a particle, a punctuation mark or a connective ending follows it
    adnominal: bool = False  # a negator inside a modifier ("필요 없는 정보"): it denies the word before only
    coord: bool = False  # joined to the next noun by 와/과/이나 ("클리핑과 층 정규화를")
    subject: bool = False  # marked by 이/가
    oblique: bool = False  # inside a prepositional phrase ("parts of g(t)") or marked by 에/에서/로
    predicative: bool = False  # what the sentence says something is ("…는 시퀀스-투-벡터다", "done by X")
    genitive: bool = False  # a possessor ("LSTM의", "the LSTM's")
    hypothetical: bool = False  # inside a condition ("미래 값을 보면 …", "if it saw the future, …")
    compared: bool = False  # what a comparison is made against ("단어마다 번역하는 seq2seq보다 낫다")


@dataclass
class Segment:
    text: str
    units: list[Unit]
    statement: bool
    concat: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    unit_at: list[int] = field(default_factory=list)  # char index in concat -> unit index
    predicates: int = 0  # verbs, adjectives and copulas that end a clause (not "같은 가중치")
    separators: int = 0  # list separators: commas, slashes, 및, 와/과, arrow chains
    context: Segment | None = None  # the heading or lead-in this line sits under
    heading: bool = False
    found: dict[tuple[str, ...], list[Any]] = field(default_factory=dict, repr=False)  # the scorer's memo
    cuts: list[int] = field(default_factory=list)  # offsets of list separators in `text`

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


class Phrase(tuple[str, ...]):
    """A pattern alternative's unit forms, remembering the words as written."""

    words: tuple[str, ...]
    info: Any  # the scorer's search facts about it, worked out on first use

    def __new__(cls, forms: tuple[str, ...], words: tuple[str, ...]) -> Phrase:
        obj = super().__new__(cls, forms)
        obj.words = words
        obj.info = None
        return obj


def _is_heading_text(line: str) -> bool:
    s = line.strip()
    return bool(s) and (
        s.endswith((":", "：")) or s.startswith("#") or bool(re.fullmatch(r"\*\*[^*]+\*\*\s*[:：]?", s))
    )


class Normalizer:
    """Applies the bank's spelling variants, then analyses text into segments."""

    def __init__(
        self, variants: dict[str, list[str]] | None = None, note_predicates: frozenset[str] = frozenset()
    ) -> None:
        self._variants = [
            (re.compile(alt, re.IGNORECASE), canon) for canon, alts in (variants or {}).items() for alt in alts
        ]
        self._phrases: dict[str, Phrase] = {}
        # study-note endings: "특성 추출 → …", "LSTM으로 해결" end on a noun that acts as the verb
        self._note_predicates = note_predicates

    def canonical(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
        for rx, canon in self._variants:
            text = rx.sub(f" {canon} ", text)
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
                _deny_previous(segments, seg)
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
        units: list[Unit] = []
        clause = 0
        clause_starts = [0]
        relating: list[int] = []  # offsets of particles, endings and function words: they relate terms
        note_ends: list[int] = []  # study-note predicates ("…로 해결")
        case_particle = False
        predicates = 0
        pending_pred = False  # a verb or adjective stem waiting for its ending
        latin_words = 0
        last_latin = this_latin = ""
        prep_pending = pred_pending = if_pending = False
        quoted = False  # the clause so far is reported speech ("…다고들 하는데")
        reported: list[int] = []
        prev = ("", "")
        cuts = _list_cuts(text)

        def close_clause(at: int) -> None:
            nonlocal clause
            clause += 1
            clause_starts.append(at)

        tokens = _mend_codas(text, kiwi().tokenize(text))
        for k, tok in enumerate(tokens):
            # kiwi marks irregular conjugation on the tag ("VA-I", "VV-R")
            form, tag = tok.form, tok.tag.split("-")[0]
            prev, here = (form, tag), prev
            if tag == "NNG" and form in self._note_predicates:
                nxt = tokens[k + 1].tag if k + 1 < len(tokens) else "END"
                if not nxt.startswith(("NN", "SL", "SN", "XSN", "VCP", "XSV", "XSA", "ETM")):
                    note_ends.append(tok.start)
            if units and (tag.startswith("J") or tag in ("SP", "SF", "SS", "SSO", "SSC", "SW", "EC")):
                units[-1].boundary = True
            if tag in ("SP", "SF", "SW", "SSO", "SSC"):
                if_pending = prep_pending = False
            if units and tag == "JC":
                units[-1].coord = True
            if units and tag == "ETM" and units[-1].negator:
                units[-1].adnominal = True
            if pending_pred and tag.startswith("E"):
                # an adjective before a noun ("같은 가중치") is still a list item
                predicates += tag != "ETM"
                pending_pred = False
            if tag in KO_PREDICATE_TAGS:
                pending_pred = True
            if here == ("불", "XPN") and form in ("가능", "필요"):
                # 불가능 / 불필요: "병렬화는 불가능하다" denies what precedes
                units.append(Unit(form, False, "post", clause, start=tok.start))
                continue
            if (tag.startswith("J") and tag not in ("JC", "JKG")) or tag in ("EF", "EC", "ETN"):
                relating.append(tok.start)  # 와/과 and 의 join the items of a list, they state nothing
            if tag in ("JKS", "JKO", "JKB", "JKC", "JX"):
                case_particle = True
            if tag == "JC" and not _in_brackets(text, tok.start):
                cuts.append(tok.start)
            if (form, tag) in (("은", "JX"), ("는", "JX"), ("ᆫ", "JX"), ("도", "JX")) and units:
                units[-1].topic = True
                units[-1].oblique = False  # "시퀀스-투-벡터에서는": the topic, though 에서 marks it
            if tag in ("JKS", "JKO", "JKC") and units:
                units[-1].argument = True  # JKC: "배치 차원이 아니라" - what 아니다 denies
            if tag == "JKS" and units:
                units[-1].subject = True
            if (form, tag) == ("보다", "JKB") and units:
                # "A가 B하는 C보다 낫다": what is compared against is no agent, nor a claim
                units[-1].oblique = True
                for u in reversed(units):
                    if u.topic or u.subject or u.clause != clause:
                        break
                    u.compared = True
            if (form, tag) in KO_INSTEAD and units:
                # "입력 특성 수 대신 유닛 수": what is replaced is no agent of what follows
                for u in reversed(units):
                    if u.topic or u.subject or u.clause != clause:
                        break
                    u.compared = u.oblique = True
            if tag == "JKG" and units:
                units[-1].genitive = True  # "LSTM의 두 상태": a possessor, an agent only if nothing else is
            if tag == "VCP" and units:
                units[-1].predicative = True
            if tag in ("SSO", "SSC") and (_tuple_at(text, tok.start) or _short_aside(text, tok.start)):
                continue  # "[배치, 타임 스텝, 특성]" is one shape and "(마지막)" a gloss, not an aside
            if tag == "EC" and form == "고" and here[0] in KO_EXCEPT_VERBS:
                continue  # "마지막 층만 빼고 나머지 층에": "빼고" works like "except", within the clause
            nxt_tag = tokens[k + 1].tag.split("-")[0] if k + 1 < len(tokens) else ""
            if tag == "EC" and form in ("어", "아", "여") and nxt_tag not in ("VX", "VV"):
                # "정방향으로 계산해 비용을 구하고": a clause; "지워 버리다", "-어 있다" stay one
                close_clause(tok.start + tok.len)
                continue
            if (
                tag == "EC"
                and form in KO_CONDITIONAL
                and not any((t.form, t.tag.split("-")[0]) in KO_NEGATORS | KO_ADVICE for t in tokens[k + 1 : k + 3])
            ):
                # "-면" opens a condition (but "-지 않으면 안 된다" is an obligation)
                for u in units:
                    if u.clause == clause and u.start >= clause_starts[-1]:
                        u.hypothetical = True
            if tag == "EC" and form in KO_CONCESSIVE and quoted:
                # "같다고들 하는데 …": what others say, then not what the writer claims
                reported.append(clause)
            if tag == "EC" and form in KO_QUOTATIVE:
                quoted = True
            if tag == "ETM" and form in KO_QUOTATIVE_ETM and k + 1 < len(tokens) and tokens[k + 1].form in KO_SAYING:
                quoted = True  # "누적된다는 말도 있긴 한데 …": what is said, then the writer's own view
            if (tag == "EC" and form in KO_CLAUSE_EC) or tag in ("SSO", "SSC") or (form, tag) in KO_CLAUSE_WORDS:
                close_clause(tok.start + tok.len)
                quoted = False
                continue
            if tag == "SL":
                for word in _split_latin(form):
                    low = word.lower()
                    latin_words += 1
                    last_latin, this_latin = this_latin, low
                    if low in EN_PREPOSITIONS and units:
                        # "to the RNN": the noun after it is oblique; "For a deep seq2seq RNN, …"
                        # at the start of a sentence names its topic
                        prep_pending = True
                    if low == "as" and last_latin in ("same", "such", "similar", "much", "well") and units:
                        prep_pending = True  # "the same as the input": compared against, no agent
                    if low in ("by", "is", "are", "be"):
                        pred_pending = True  # "done by a vec2seq RNN", "is a seq2vec task"
                    if low in ("and", "or") and here[1] == "SP":
                        close_clause(tok.start)  # ", and …" starts a new clause: "never X, and Y is kept"
                    if low in EN_VERBISH:
                        predicates += 1
                    if low in EN_STOP and low not in ("and", "or"):
                        relating.append(tok.start)
                    if low in EN_VERBISH or low in ("and", "or", "that", "which", "who") or low in EN_CLAUSE:
                        prep_pending = False
                    if low in ("if", "unless", "suppose", "supposing"):
                        if_pending = True  # the condition runs to the next comma or clause
                    if low in EN_CLAUSE:
                        # a new clause, but the word stays matchable; "all but the top"
                        # is one phrase, not two clauses
                        if not (low == "but" and last_latin in ("all", "every", "everything", "anything", "none")):
                            close_clause(tok.start)
                        units.append(Unit(low, True, "", clause, start=tok.start))
                        continue
                    if (low in EN_NEG_PREFIX and word != "None") or _NEG_CONTRACTION.search(low):
                        units.append(Unit("not", True, "pre", clause, start=tok.start))
                        continue
                    if low in EN_SOFT_NEG:
                        units.append(Unit(_latin_form(word), True, "pre", clause, start=tok.start))
                        continue
                    if low in EN_NEG_POSTFIX:
                        units.append(Unit(low, True, "flag", clause, start=tok.start))
                        continue
                    if low in EN_STOP:
                        continue
                    # "In a seq2vec RNN, …" opens the sentence with its topic, not an oblique
                    units.append(
                        Unit(
                            _latin_form(word),
                            True,
                            "",
                            clause,
                            start=tok.start,
                            raw=low,
                            oblique=prep_pending and bool(units),
                            genitive=_possessive(form),
                            predicative=pred_pending,
                            hypothetical=if_pending,
                        )
                    )
                    # "of the tanh candidate g": the whole noun phrase after a preposition
                    prep_pending = prep_pending and low not in EN_VERBISH
                    pred_pending = False
                continue
            if tag not in KO_CONTENT and (form, tag) not in KO_KEEP and (form, tag) not in KO_SOFT_NEGATORS:
                continue
            neg = ""
            if (form, tag) in KO_NEGATORS or (form, tag) in KO_SOFT_NEGATORS:
                neg = "pre-ko" if form in ("안", "못") else "post"
            # a number that ends a sentence ("0.004.") comes as a serial number, its period attached
            number = tag in ("SN", "W_SERIAL")
            units.append(
                Unit(
                    form.lower().rstrip(".,") or form if number else form,
                    False,
                    neg,
                    clause,
                    start=tok.start,
                    adnominal=(form, tag) == ("없이", "MAG"),
                )
            )
            if (form, tag) == ("없이", "MAG") and len(units) > 1:
                units[-2].boundary = True
        predicates += pending_pred
        _mark_negation(units)
        # a clause reported ("…다고들 하는데") and one denied ("…지만 그렇지 않다") is one
        # claim withdrawn: flipped once, not twice
        for c in sorted(set(reported) | _denied_clauses(text, clause_starts)):
            _flip([u for u in units if u.clause == c], -1 - c)
        # Cut at list separators (commas, slashes, 및, 와/과, a chain of arrows) outside
        # brackets: a keyword list is parts that relate nothing, whatever separates them.
        arrows = [m.start() for m in _ARROW.finditer(text) if not _in_brackets(text, m.start())]
        if len(arrows) >= 2:
            cuts += arrows  # "CNN → LSTM → softmax" lists; "문제 → 해결책" relates
        cuts = sorted(set(cuts))
        bounds = [0, *cuts, len(text) + 1]
        parts = [(a, b) for a, b in itertools.pairwise(bounds) if re.search(r"[^\s,/·|&+→>\-및]", text[a:b])]
        if note_ends and (case_particle or len(parts) == 1):
            # a noun ending a note states something only in a note, not at the end of a term list
            predicates += len(note_ends)
            relating += note_ends
        # a part of three English words or more is a phrase, not a term ("one copy of the neuron per step")
        related_parts = sum(
            1 for a, b in parts if any(a <= r < b for r in relating) or len(re.findall(r"[A-Za-z]{2,}", text[a:b])) >= 4
        )
        separators = max(0, len(parts) - 1)
        # a colon, "=" or a single arrow relates what is on either side ("기울기 폭주: 클리핑, 층 정규화"),
        # unless what follows is a long run of terms
        symbol = bool(re.search(r"\S\s*[:：=]\s*\S", text)) or len(arrows) == 1
        # a study note chains steps with arrows or colons ("각 프레임 → CNN → 특성 벡터");
        # it relates things as long as no link of the chain is itself a long run of terms
        chain = bool(arrows) or symbol
        links = [c for c in re.split(r"->|→|=>|⇒|⟶|[:：=]", _unbracketed(text)) if c.strip()]
        # (a chain of many bare links, "A → B → C → D → E", is a list again)
        short_links = (
            chain and 2 <= len(links) <= LIST_PARTS and max(len(_SEPARATOR.findall(c)) for c in links) < LIST_PARTS - 1
        )
        # three or more English words with nothing between them read as prose, not a list
        prose = latin_words >= 3 and separators == 0
        statement = (
            predicates > 0
            or prose
            or (symbol and len(parts) <= LIST_PARTS)
            or short_links
            or (related_parts > 0 and related_parts * 2 >= len(parts))
        )
        return Segment(
            text=text, units=units, statement=statement, predicates=predicates, separators=separators, cuts=cuts
        )


@dataclass
class _Tok:
    form: str
    tag: str
    start: int
    len: int


def _mend_codas(text: str, tokens: list[Any]) -> list[Any]:
    """Put back a syllable kiwi cut into a particle and a stray final consonant.

    Now and then kiwi reads a noun as a particle plus a coda ("후보 값" as 후보 + 가 + ㅄ,
    tag Z_CODA); the written syllable is the noun.
    """
    if not any(t.tag == "Z_CODA" for t in tokens):
        return tokens
    out: list[Any] = []
    for t in tokens:
        if t.tag == "Z_CODA" and out:
            prev = out.pop()
            end = t.start + t.len
            out.append(_Tok(text[prev.start : end], "NNG", prev.start, end - prev.start))
        else:
            out.append(t)
    return out


def _tuple_at(text: str, at: int) -> bool:
    """Whether the bracket at `at` opens or closes a tuple such as a shape: "(batch, steps, units)"."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    ch = text[at]
    if ch in pairs:
        end = text.find(pairs[ch], at + 1)
        inside = text[at + 1 : end] if end > 0 else ""
    else:
        opener = {v: k for k, v in pairs.items()}.get(ch, "")
        start = text.rfind(opener, 0, at)
        inside = text[start + 1 : at] if start >= 0 else ""
    return "," in inside and len(inside) <= 60


def _short_aside(text: str, at: int) -> bool:
    """A bracket around a word or two ("맨 위(마지막) 층", "삭제 게이트(forget gate)는"): a gloss."""
    ch = text[at]
    if ch in "([{":
        end = text.find({"(": ")", "[": "]", "{": "}"}[ch], at + 1)
        inside = text[at + 1 : end] if end > 0 else text[at + 1 :]
    else:
        start = max(text.rfind(o, 0, at) for o in "([{")
        inside = text[start + 1 : at] if start >= 0 else ""
    return len(inside.split()) <= 2 and len(inside) <= 24


def _unbracketed(text: str) -> str:
    """The text with bracketed asides blanked out: their commas list nothing."""
    out, depth = [], 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
            ch = " "
        out.append(" " if depth else ch)
    return "".join(out)


def _in_brackets(text: str, at: int) -> bool:
    depth = 0
    for ch in text[:at]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
    return depth > 0


def _list_cuts(text: str) -> list[int]:
    """Offsets of list separators outside brackets: "[batch, steps, features]" is one shape, not a list."""
    cuts = []
    depth = 0
    for m in re.finditer(r"[\(\[\{]|[\)\]\}]|" + _SEPARATOR.pattern + "|" + _ARROW.pattern, text):
        tok = m.group()
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            cuts.append(m.start())
    return cuts


def _split_latin(form: str) -> list[str]:
    # kiwi hands over Latin runs whole ("time steps" arrives as two SL tokens,
    # but "x=1" or "a/b" may not); cut at anything that is not part of a word.
    # Only "n't" matters of a contraction: "input's" is "input", "it's" is "it".
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:['’][a-z]+)?|[0-9]+", form)
    return [re.sub(r"['’](s|re|ll|ve|d|m)$", "", w) for w in words if w]


def _possessive(form: str) -> bool:
    return bool(re.search(r"[A-Za-z]['’]s$", form)) and form.lower() not in (
        "it's",
        "that's",
        "what's",
        "there's",
        "he's",
        "she's",
        "here's",
        "let's",
    )


@lru_cache(maxsize=8192)
def _latin_form(word: str) -> str:
    low = word.lower()
    if re.fullmatch(r"[A-Z]{2,6}s", word):
        return low[:-1]  # "RNNs", "GRUs": the acronym, plural
    if _CODEISH.search(word) and not _CAMEL.fullmatch(word):
        return low  # identifiers and acronyms match as written
    if low.endswith(("ful", "less")):
        return low  # Snowball makes "stateful" "state"
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
                double = any(w.negator in ("post", "pre-ko") and w.clause == v.clause for w in units[j + 1 : j + 3])
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


def _flip(units: list[Unit], mark: int) -> None:
    for u in units:
        if not u.negator:
            u.governors = (*u.governors, mark)
            u.negated = not u.negated


def _denied_clauses(text: str, clause_starts: list[int]) -> set[int]:
    """ "X라고 생각하기 쉽지만 그렇지 않다": a clause that only denies denies the one before."""
    out = set()
    for c in range(1, len(clause_starts)):
        end = clause_starts[c + 1] if c + 1 < len(clause_starts) else len(text)
        if _is_denial(text[clause_starts[c] : end]):
            out.add(c - 1)
    return out


def _deny_previous(segments: list[Segment], seg: Segment) -> None:
    """A sentence that only says "그렇지 않다" / "That is not true." denies the previous one."""
    if segments and _is_denial(seg.text):
        _flip(segments[-1].units, -1000)


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
