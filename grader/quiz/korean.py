"""The Korean morpheme analyser (kiwipiepy): one per process, started on first use.

It also reads the Latin text of an answer (identifiers and English words come out
as `SL` tokens). The bank's compound nouns are registered before it first runs,
so that patterns and answers come apart alike.
"""

from __future__ import annotations

import hashlib
import json
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from grader.quiz import textcache

_KIWI: Any = None
_KIWI_LOCK = threading.Lock()
# Everything the analyser is made with: the tokens of a text depend on it (see signature)
_OPTIONS = {"load_typo_dict": False, "load_multi_dict": False, "load_default_dict": False}
# Keep identifiers and English contractions whole; kiwi would cut
# `return_sequences` at the underscore and "don't" at the apostrophe.
_RE_WORD = (r"[A-Za-z_][A-Za-z0-9_]*(?:'[a-z]+)?", "SL")
_USER_WORD = ("NNG", 0.0)


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
    if not set(words) - _TERMS:
        return  # without the lock: the analyser may be starting in the background (see start)
    with _KIWI_LOCK:
        new = set(words) - _TERMS
        _TERMS.update(new)
        if _KIWI is not None:
            for w in sorted(new):
                _KIWI.add_user_word(w, *_USER_WORD)


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
            _KIWI = _make()
        return _KIWI


def _make() -> Any:  # noqa: ANN401
    from kiwipiepy import Kiwi

    k = Kiwi(**_OPTIONS)
    k.add_re_word(*_RE_WORD)
    for w in sorted(_TERMS):
        k.add_user_word(w, *_USER_WORD)
    return k


def warm() -> None:
    """Have the analyser ready for the next text: it builds its dictionary on the first text
    it reads after being made or given new words (about half a second), not before."""
    kiwi().tokenize("준비")


_STARTER: threading.Thread | None = None


def start(terms: set[str] | frozenset[str] = frozenset()) -> None:
    """Make the analyser and have it read its first text in a background thread, now.

    For a command that scores one answer: the first text costs about half a second in
    which kiwipiepy lets Python run, so the bank loads and the question's rubric is
    read meanwhile. (Making the analyser, about as long, holds the interpreter: nothing
    runs beside it.) `terms` are the bank's nouns, registered first (see register_terms).
    Whoever needs the analyser before it is ready waits for it (kiwi() takes the lock).
    """
    global _STARTER
    register_terms(terms)
    if _KIWI is not None or _STARTER is not None:
        return

    def run() -> None:
        global _KIWI
        with _KIWI_LOCK:
            if _KIWI is None:
                k = _make()
                k.tokenize("준비")
                _KIWI = k

    # not a daemon: the interpreter waits for it rather than stop it inside kiwipiepy
    _STARTER = threading.Thread(target=run, name="kiwi-start")
    _STARTER.start()


_SIGNATURE: tuple[int, str] | None = None


def signature() -> str:
    """A hash of everything the analyser's tokens depend on: kiwipiepy and its model's
    versions, the options above and the registered nouns (the key of textcache's files)."""
    global _SIGNATURE
    if _SIGNATURE is None or _SIGNATURE[0] != len(_TERMS):
        versions = [_version(dist) for dist in ("kiwipiepy", "kiwipiepy_model")]
        blob = json.dumps(
            [versions, sorted(_OPTIONS.items()), _RE_WORD, _USER_WORD, sorted(_TERMS)], ensure_ascii=False
        )
        _SIGNATURE = (len(_TERMS), hashlib.sha256(blob.encode()).hexdigest())
    return _SIGNATURE[1]


def _version(dist: str) -> str:
    # the module's own attribute: importlib.metadata costs a tenth of a second to import and search
    import importlib

    try:
        found = getattr(importlib.import_module(dist), "__version__", None)
    except ImportError:
        return ""
    if isinstance(found, str):
        return found
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def tokenize(text: str) -> list[Any]:
    """The analyser's tokens of `text` (each with form, tag, start, len); the bank's own
    text comes from the disk cache when it is there (grader/quiz/textcache.py)."""
    store = textcache.store(signature()) if textcache.active() else None
    if store is None:
        return kiwi().tokenize(text)
    kept = store.get(text)
    if kept is not None:
        return [_Tok(*t) for t in kept]
    tokens = kiwi().tokenize(text)
    store.put(text, [(t.form, t.tag, t.start, t.len) for t in tokens])
    return tokens


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
