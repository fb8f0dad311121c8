"""The Korean morpheme analyser (kiwipiepy): one per process, started on first use.

It also reads the Latin text of an answer (identifiers and English words come out
as `SL` tokens). The bank's compound nouns are registered before it first runs,
so that patterns and answers come apart alike.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
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


@dataclass
class _Tok:
    form: str
    tag: str
    start: int
    len: int


def mend_codas(text: str, tokens: list[Any]) -> list[Any]:
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


def jamo(text: str) -> str:
    """Hangul syllables decomposed into letters, so one typo costs one letter, not a syllable."""
    return unicodedata.normalize("NFD", text)
