"""One sentence of an answer into units: clauses, roles of words, and statement or list.

The analyser's tokens are walked once: particles (J*) and endings (E*) are
dropped, so "층 정규화를" and "층정규화" compare equal once units are joined without
spaces; each unit records what marks it (topic, subject, oblique, possessor,
condition, comparison), clauses are closed at connective endings, concessions
and English clause words, and the sentence is a statement unless it is a bare
list of terms, whatever separates them.
"""

from __future__ import annotations

import itertools
import re

from grader.quiz.english import (
    EN_CLAUSE,
    EN_NEG_POSTFIX,
    EN_NEG_PREFIX,
    EN_PREPOSITIONS,
    EN_SOFT_NEG,
    EN_STOP,
    EN_VERBISH,
    NEG_CONTRACTION,
    latin_form,
    possessive,
    split_latin,
)
from grader.quiz.korean import mend_codas, tokenize
from grader.quiz.lists import (
    ARROW,
    LIST_PARTS,
    SEPARATOR,
    arrow_at,
    group_break,
    in_brackets,
    lead_in,
    list_cuts,
    short_aside,
    tuple_at,
    unbracketed,
)
from grader.quiz.negation import KO_NEGATORS, KO_SOFT_NEGATORS, denied_clauses, flip, mark_negation
from grader.quiz.units import Segment, Unit

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
# verbs that with -어 make a postposition ("에 대해", "을 통해", "에 걸쳐", "에 비해", "에 따라")
KO_POSTPOSITION_VERBS = {("대하", "VV"), ("통하", "VV"), ("걸치", "VV"), ("비하", "VV"), ("따르", "VV"), ("관하", "VV")}
KO_ADVICE = {("되", "VV"), ("좋", "VA"), ("돼", "VV")}  # "-면 된다", "-면 좋다": advice, not a condition
KO_CONDITIONAL = {"면", "으면", "다면", "라면", "ᆫ다면", "는다면", "으면은"}
KO_QUOTATIVE = {"다고", "라고", "ᆫ다고", "는다고", "냐고", "다는", "라는"}
KO_QUOTATIVE_ETM = {"다는", "라는", "ᆫ다는", "는다는", "냐는"}
KO_SAYING = {"말", "얘기", "이야기", "주장", "소리", "설명", "의견", "견해", "통념"}
KO_CONCESSIVE = {"는데", "은데", "ᆫ데", "지만", "나", "으나", "는데도"}
KO_EXCEPT_VERBS = {"빼", "제외하", "말", "포함하", "빼놓", "비롯하"}
KO_INSTEAD = {("대신", "NNG"), ("대신", "MAG"), ("대신에", "MAG")}


KO_AFTER = {"다음", "후", "뒤"}  # "-ㄴ 다음(에)", "-ㄴ 후", "-ㄴ 뒤": a step, then the next


def _topic_next(tokens: list, k: int) -> bool:
    """Whether the words after token k are a noun with the topic particle 은/는."""
    for t in tokens[k + 1 : k + 5]:
        tag = t.tag.split("-")[0]
        if tag == "JX" and t.form in ("은", "는", "ᆫ"):
            return True
        if not tag.startswith(("NN", "SL", "SN", "XSN")):
            return False
    return False


def _next_is(tokens: list, k: int, pairs: set[tuple[str, str]]) -> bool:
    return k + 1 < len(tokens) and (tokens[k + 1].form, tokens[k + 1].tag.split("-")[0]) in pairs


def segment(text: str, note_predicates: frozenset[str] = frozenset()) -> Segment:
    """`text` (one sentence) as units; `note_predicates` are nouns that end a study note like a verb."""
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
    cuts = list_cuts(text)

    def close_clause(at: int) -> None:
        nonlocal clause
        clause += 1
        clause_starts.append(at)

    tokens = mend_codas(text, tokenize(text))
    # kiwi marks irregular conjugation on the tag ("VA-I", "VV-R"); "" after the last token
    tags = [t.tag.split("-")[0] for t in tokens] + [""]
    for k, tok in enumerate(tokens):
        form, tag = tok.form, tags[k]
        prev, here = (form, tag), prev
        if tag == "NNG" and form in note_predicates:
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
        term_ending = tag == "ETM" or (form, tag) == ("기", "ETN")
        if pending_pred and tag.startswith("E"):
            # an adjective before a noun ("같은 가중치") is still a list item, and so is a
            # verb made a noun by -기 ("시간 펼치기"); -ㅁ ends a note ("줄임") like a verb
            predicates += not term_ending
            pending_pred = False
        if tag in KO_PREDICATE_TAGS:
            pending_pred = True
        if here == ("불", "XPN") and form in ("가능", "필요"):
            # 불가능 / 불필요: "병렬화는 불가능하다" denies what precedes
            units.append(Unit(form, False, "post", clause, start=tok.start))
            continue
        if (
            (tag.startswith("J") and tag not in ("JC", "JKG"))
            or tag in ("EF", "EC")
            or (tag == "ETN" and not term_ending)
        ):
            relating.append(tok.start)  # 와/과 and 의 join the items of a list, they state nothing
        if tag in ("JKS", "JKO", "JKB", "JKC", "JX"):
            case_particle = True
        if tag == "JC" and not in_brackets(text, tok.start):
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
        if (
            ((form, tag) == (",", "SP") or (form in ("→", "⇒", "⟶", ">") and arrow_at(text, tok.start)))
            and any(u.topic and u.clause == clause for u in units)
            and _topic_next(tokens, k)
        ):
            # "seq2seq는 전부 True, seq2vec는 맨 위 층만 빼고": a new topic after a comma
            # opens a clause of its own, with its own holder, even with no verb before it;
            # so does one after an arrow ("LSTM은 상태 두 개 → GRU는 하나로 합침")
            close_clause(tok.start + tok.len)
            quoted = False
            continue
        if tag in ("SSO", "SSC") and (tuple_at(text, tok.start) or short_aside(text, tok.start)):
            continue  # "[배치, 타임 스텝, 특성]" is one shape and "(마지막)" a gloss, not an aside
        if tag == "EC" and form == "고" and here[0] in KO_EXCEPT_VERBS:
            continue  # "마지막 층만 빼고 나머지 층에": "빼고" works like "except", within the clause
        nxt_tag = tags[k + 1]
        if tag == "EC" and form in ("어", "아", "여") and here in KO_POSTPOSITION_VERBS:
            continue  # "시퀀스 전체에 대해 반복", "층을 통해 전달": a postposition, not a clause
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
        if tag in ("SP", "SW", "SO") and group_break(text, tok.start):
            # "seq2seq: 전부 True / seq2vec: …": each side is a clause of its own,
            # with its own holder and its own negation
            close_clause(tok.start + tok.len)
            quoted = False
            continue
        if (
            tag in ("NNG", "NNB")
            and form in KO_AFTER
            and here[1] == "ETM"
            and (form != "다음" or _next_is(tokens, k, {("에", "JKB"), (",", "SP")}))
        ):
            # "계산한 다음에 …", "구한 후 …": the first step is a clause of its own
            close_clause(tok.start + tok.len)
            quoted = False
            continue
        if (tag == "EC" and form in KO_CLAUSE_EC) or tag in ("SSO", "SSC") or (form, tag) in KO_CLAUSE_WORDS:
            close_clause(tok.start + tok.len)
            quoted = False
            continue
        if tag == "SL":
            for word in split_latin(form):
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
                if (low in EN_NEG_PREFIX and word != "None") or NEG_CONTRACTION.search(low):
                    units.append(Unit("not", True, "pre", clause, start=tok.start))
                    continue
                if low in EN_SOFT_NEG:
                    units.append(Unit(latin_form(word), True, "pre", clause, start=tok.start))
                    continue
                if low in EN_NEG_POSTFIX:
                    units.append(Unit(low, True, "flag", clause, start=tok.start))
                    continue
                if low in EN_STOP and not (len(form) == 1 and text[tok.start + 1 : tok.start + 2] in ("(", "_")):
                    continue  # but "i(t)", "i_t" name the input gate, not the writer
                # "In a seq2vec RNN, …" opens the sentence with its topic, not an oblique
                units.append(
                    Unit(
                        latin_form(word),
                        True,
                        "",
                        clause,
                        start=tok.start,
                        raw=low,
                        oblique=prep_pending and bool(units),
                        genitive=possessive(form),
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
    mark_negation(units)
    # a clause reported ("…다고들 하는데") and one denied ("…지만 그렇지 않다") is one
    # claim withdrawn: flipped once, not twice
    for c in sorted(set(reported) | denied_clauses(text, clause_starts)):
        flip([u for u in units if u.clause == c], -1 - c)
    # Cut at list separators (commas, slashes, 및, 와/과, a chain of arrows) outside
    # brackets: a keyword list is parts that relate nothing, whatever separates them.
    arrows = [m.start() for m in ARROW.finditer(text) if not in_brackets(text, m.start())]
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
    plain = unbracketed(text)
    links = [c for c in re.split(r"->|→|=>|⇒|⟶|[:：=]", plain) if c.strip()]
    # (a chain of many bare links, "A → B → C → D → E", is a list again)
    short_links = (
        chain and 2 <= len(links) <= LIST_PARTS and max(len(SEPARATOR.findall(c)) for c in links) < LIST_PARTS - 1
    )
    # three or more English words with nothing between them read as prose, not a list
    prose = latin_words >= 3 and separators == 0
    # "seq2seq - 번역, 시계열 / seq2vec - 감성 분석": groups each led by its label relate
    # their items to the label, however many items there are
    groups = [g for g in re.split(r"\s[/|]\s|\s{2,}[/|]\s*", plain) if g.strip()]
    labelled_groups = len(groups) >= 2 and all(lead_in(g) for g in groups)
    statement = (
        predicates > 0
        or prose
        or (symbol and len(parts) <= LIST_PARTS)
        or short_links
        or labelled_groups
        or (related_parts > 0 and related_parts * 2 >= len(parts))
    )
    return Segment(text=text, units=units, statement=statement, predicates=predicates, separators=separators, cuts=cuts)
