"""English words: which are stop words, prepositions, verbs or negators, and their stems.

Words are lower-cased and Snowball-stemmed; code identifiers (`return_sequences`,
`Conv1D`) and acronyms stay whole. Also which language carries an answer's prose.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


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
NEG_CONTRACTION = re.compile(r"n't$|n’t$")
_CAMEL = re.compile(r"[A-Z]?[a-z]+(?:[A-Z][a-z]+)+")
CODEISH = re.compile(r"[_=0-9]|[a-z][A-Z]|^[A-Z0-9]{2,6}$")


def split_latin(form: str) -> list[str]:
    # kiwi hands over Latin runs whole ("time steps" arrives as two SL tokens,
    # but "x=1" or "a/b" may not); cut at anything that is not part of a word.
    # Only "n't" matters of a contraction: "input's" is "input", "it's" is "it".
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:['’][a-z]+)?|[0-9]+", form)
    return [re.sub(r"['’](s|re|ll|ve|d|m)$", "", w) for w in words if w]


def possessive(form: str) -> bool:
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


# adjectives whose -ize words mean something else: "layer normalization" is no "normal
# backprop", "regularization" no "regular LSTM" (parallel/parallelize mean one thing)
IZE_APART = ("normal", "regular", "general")
_IZE = re.compile("((?:" + "|".join(IZE_APART) + ")iz)(?:e|es|ed|ing|ation|ations|er|ers)")


@lru_cache(maxsize=8192)
def latin_form(word: str) -> str:
    low = word.lower()
    if re.fullmatch(r"[A-Z]{2,6}s", word):
        return low[:-1]  # "RNNs", "GRUs": the acronym, plural
    if CODEISH.search(word) and not _CAMEL.fullmatch(word):
        return low  # identifiers and acronyms match as written
    if low.endswith(("ful", "less")):
        return low  # Snowball makes "stateful" "state"
    ize = _IZE.fullmatch(low)
    if ize:
        return ize.group(1)  # Snowball makes "normalization" "normal" and "regularize" "regular"
    # CamelCase class names stem like their lower-case spelling, so a rubric's
    # "timedistributed" meets an answer's "TimeDistributed"
    return _stemmer().stemWord(low)


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_=']*")


def answer_language(text: str) -> str:
    """'ko' or 'en': which language carries the prose (code and acronyms do not count)."""
    hangul = len(_HANGUL.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text) if not CODEISH.search(w))
    # one Hangul syllable carries about as much as two or three Latin letters
    return "ko" if hangul * 2.5 >= latin and hangul > 0 else "en"
