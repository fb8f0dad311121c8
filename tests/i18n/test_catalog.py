"""The string catalog (grader/i18n/): complete in both languages, used as written, and
Korean that reads as a Korean speaker writes it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from grader.i18n import default_lang, entries, status_word, text
from grader.i18n.catalog import CatalogError, fields_of, load_dir, split_spec
from grader.i18n.particles import PAIRS

ROOT = Path(__file__).resolve().parents[2]
KEY_AREAS = r"(?:checks|grading|quiz|cli|status|selfcheck|common|errors|execution|report|help|batch|results)"
KEY_LITERAL = re.compile(rf"""["']({KEY_AREAS}(?:\.[a-z0-9_]+)+)["']""")
# A key given to `counted` or `text_n` names two entries, `key.one` and `key.many`: the one that
# fits the count is chosen when the text is made.
COUNTED_KEY = re.compile(rf"""\b(?:counted|text_n)\(\s*["']({KEY_AREAS}(?:\.[a-z0-9_]+)+)["']""")


def keys_in(source: str) -> list[tuple[str, int]]:
    """The catalog keys a module's source uses, each with the line it is on."""
    counted = {m.start(1) - 1: m.group(1) for m in COUNTED_KEY.finditer(source)}
    found = []
    for m in KEY_LITERAL.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        key = counted.get(m.start())
        found += [(key + ".one", line), (key + ".many", line)] if key else [(m.group(1), line)]
    return found


def _used_keys() -> dict[str, str]:
    """Every catalog key written as a string literal in grader/, with where it is."""
    used: dict[str, str] = {}
    for path in sorted((ROOT / "grader").rglob("*.py")):
        for key, n in keys_in(path.read_text(encoding="utf-8")):
            used.setdefault(key, f"{path.relative_to(ROOT)}:{n}")
    return used


def test_a_key_given_to_counted_or_text_n_uses_its_two_forms_not_itself() -> None:
    source = (
        'entry = counted("errors.spec.at_least", n)\n'
        'line = text_n(\n    "cli.batch.total", len(items), lang, n=len(items)\n)\n'
        'plain = text("cli.batch.total.one", lang)\n'
    )
    assert keys_in(source) == [
        ("errors.spec.at_least.one", 1),
        ("errors.spec.at_least.many", 1),
        ("cli.batch.total.one", 3),
        ("cli.batch.total.many", 3),
        ("cli.batch.total.one", 5),
    ]


def test_every_key_the_code_asks_for_exists() -> None:
    unknown = {k: where for k, where in _used_keys().items() if k not in entries()}
    assert not unknown, f"keys missing from grader/i18n/catalog: {unknown}"


def test_every_entry_is_used() -> None:
    used = _used_keys()
    # status words are looked up from the attempt's status value; the pages' words by the
    # templates (`t.recorder`), which tests/report/test_render.py checks
    dead = [k for k in entries() if k not in used and not k.startswith(("status.", "report.page."))]
    assert not dead, f"catalog entries no code uses: {dead}"


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError, match="no catalog entry"):
        text("checks.nothing.like.this", "ko")


def test_an_entry_without_one_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "area.toml").write_text('[greeting]\nko = "안녕하세요"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"area\.greeting has no en text"):
        load_dir(tmp_path)


def test_different_fields_in_the_two_languages_are_refused(tmp_path: Path) -> None:
    (tmp_path / "area.toml").write_text('[count]\nko = "{n}개"\nen = "{count} items"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="fills in"):
        load_dir(tmp_path)


def test_placeholders_agree_in_every_entry() -> None:
    for key, entry in entries().items():
        assert fields_of(entry["ko"]) == fields_of(entry["en"]), key


def test_fields_fill_in_with_particles_and_code() -> None:
    assert (
        text("checks.values.evaluate.still_none_fill_in", "ko", target="model")
        == "`model`이 아직 None입니다. 채워 넣으세요."
    )
    assert (
        text("checks.values.evaluate.still_none_fill_in", "ko", target="GRU")
        == "`GRU`가 아직 None입니다. 채워 넣으세요."
    )
    assert text("checks.values.evaluate.still_none_fill_in", "en", target="GRU") == "`GRU` is still None: fill it in."
    assert text("checks.values.compare.you_wrote_2", "ko", show_found="960") == "960으로 썼습니다"
    assert text("checks.values.compare.you_wrote_2", "ko", show_found="(5, 32)") == "(5, 32)로 썼습니다"
    # any language but Korean is English
    assert text("checks.values.compare.too_high", "fr") == "too high"


# --- every Korean template, rendered --------------------------------------------------

# (filler, the sound it ends in): a Hangul word of each kind, digits, identifiers, shapes
FILLERS = [
    ("순환 층", "consonant"),
    ("시퀀스", "vowel"),
    ("모델", "rieul"),
    ("7", "rieul"),
    ("2", "vowel"),
    ("960", "consonant"),
    ("model", "rieul"),
    ("GRU", "vowel"),
    ("lstm_step", "consonant"),
    ("[batch, 7]", "rieul"),
    ("shape", "vowel"),
]
NUMBER_FILLERS = [(7, "rieul"), (2, "vowel"), (960, "consonant"), (1000, "consonant")]


def _expected(pair: str, sound: str) -> str:
    consonant, vowel = PAIRS[pair]
    if sound == "vowel" or (sound == "rieul" and pair.startswith("으로")):
        return vowel
    return consonant


def _fields(template: str) -> list[tuple[str, str | None, str, str]]:
    """(name, conversion, number format, particle) of each field."""
    out = []
    for _, name, spec, conv in string.Formatter().parse(template):
        if name is not None:
            number_format, pair = split_spec(spec or "")
            out.append((name, conv, number_format, pair or ""))
    return out


def _neutral(number_format: str) -> object:
    return 1.5 if number_format and number_format[-1] in "gfe%" else (3 if number_format else "값")


def test_every_korean_template_takes_the_right_particle() -> None:
    wrong = []
    for key, entry in entries().items():
        ko = entry["ko"]
        fields = _fields(ko)
        for name, conv, number_format, pair in fields:
            if not pair:
                continue
            fillers = NUMBER_FILLERS if number_format else FILLERS
            for filler, sound in fillers:
                values = {n: _neutral(f) for n, _, f, _ in fields}
                values[name] = filler
                rendered = text(key, "ko", **values)
                shown = format(filler, number_format)
                shown = {"c": f"`{shown}`", "q": f"'{shown}'", "r": repr(filler)}.get(conv or "", shown)
                if shown + _expected(pair, sound) not in rendered:
                    wrong.append(f"{key}: {name}={filler!r} -> {rendered!r}")
    assert not wrong, "\n".join(wrong[:20])


# A particle written after a field instead of chosen by it: "{target}가", "`{x}`를", "{n}로".
FIXED_PARTICLE = re.compile(
    r"\}`?'?(이|가|을|를|은|는|과|와|으로|로|이어야|여야|이라는|라는|이나|나|이며|며|이고|고|이면|면)"
    r"(도|만|부터|까지|서|라도)?(?=[\s.,:;)!?—(]|$)"
)
BOTH_FORMS = re.compile(r"이\(가\)|을\(를\)|은\(는\)|과\(와\)|\(으\)로|\(이\)")


def test_no_korean_template_fixes_a_particle_after_a_field() -> None:
    bad = [
        f"{key}: {e['ko']}"
        for key, e in entries().items()
        if FIXED_PARTICLE.search(e["ko"]) or BOTH_FORMS.search(e["ko"])
    ]
    assert not bad, "\n".join(bad)


def test_english_templates_have_no_korean_particles() -> None:
    bad = [
        key
        for key, e in entries().items()
        if any(pair for *_, pair in _fields(e["en"])) or re.search(r"[\uac00-\ud7a3]", e["en"])
    ]
    assert not bad


# Latin words a Korean sentence may hold: names of libraries, layers, values and units.
ALLOWED_LATIN = {
    "Keras",
    "TensorFlow",
    "NumPy",
    "pandas",
    "scikit",
    "learn",
    "matplotlib",
    "Google",
    "Drive",
    "Colab",
    "Dask",
    "Jupyter",
    "None",
    "NaN",
    "True",
    "False",
    "Lambda",
    "MSE",
    "MAE",
    "MB",
    "KB",
    "GB",
    "JSON",
    "CSV",
    "RNN",
    "LSTM",
    "GRU",
    "CNN",
    "ID",
    "In",
    "compile",
    "tmp",
    "s",
    "ms",
    "Enter",
    "Ctrl",
}


# A class or constant name (SimpleRNN, LSTMCell, MB): a name, not an English word.
NAME = r"[A-Z][a-z]*(?:[A-Z0-9][a-z0-9]*)+|[A-Z0-9]+"


def _latin_words(ko: str) -> list[str]:
    """The Latin words of a Korean template outside fields, code in backquotes or quotes,
    command lines and dotted names (model.save(), keras.Input, google.colab); one letter is a
    variable (h, c, x)."""
    rest = re.sub(r"\{[^{}]*\}", " ", ko)
    rest = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", " ", rest)
    rest = re.sub(r"grade(?: [a-z-]+)+(?: --[a-z-]+)*", " ", rest)  # a command to type
    rest = re.sub(r"--[a-z-]+", " ", rest)  # an option
    rest = re.sub(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+(?:\([^()]*(?:\([^()]*\))?[^()]*\))?", " ", rest)  # a.b(...)
    rest = re.sub(r"\b[A-Za-z_]\w*\([^()]*\)", " ", rest)  # a call: selfcheck("quiz"), fit()
    rest = re.sub(r"\b[a-z_]+=[^\s,)]*", " ", rest)  # key=value
    rest = re.sub(r"\b\w*_\w*\b", " ", rest)  # identifiers
    return [
        w for w in re.findall(r"[A-Za-z]+", rest) if len(w) > 1 and w not in ALLOWED_LATIN and not re.fullmatch(NAME, w)
    ]


def test_no_english_words_in_korean_text() -> None:
    bad = {key: words for key, e in entries().items() if (words := _latin_words(e["ko"]))}
    assert not bad, bad


def test_status_words_are_translated_for_korean_readers() -> None:
    assert status_word("graded", "ko") == "채점 완료"
    assert status_word("graded", "en") == "graded"
    assert status_word("error", "ko") != "error"
    assert status_word("something new", "ko") == "something new"


def test_default_language_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADE_LANG", raising=False)
    assert default_lang() == "ko"
    monkeypatch.setenv("GRADE_LANG", "en")
    assert default_lang() == "en"
    monkeypatch.setenv("GRADE_LANG", "EN ")
    assert default_lang() == "en"
