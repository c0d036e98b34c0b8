"""Stated intent to leave or switch ("再也不买", "换别家了", "cancel my subscription", "switching to").

Two uses: the cue is an input of the trained head (``intent_model``: a
logistic regression over the document's stored vector, which decides where
a document has a vector of the head's encoder), and ``intent_to_leave`` is
the rule for documents without one: a cue **and** a negative reading of the
same document. A cue alone is a word list, and word lists fire on the opposite
meaning ("I switched to this brand and love it", "不会换别家"); so a cue
counts only when the document's overall sentiment (the classifier's, set at
ingest) is negative, or its own score says unhappy (NPS 0-6, rating 2 or
less), and not when a negation sits right before it. The cues cover
leaving (再也不买, 不会再买, 拉黑, 取关, 退订, cancel, unsubscribe, never
buying again) and switching (换别家, 换品牌, 转投, switching to, moving to,
going with a competitor). ``tests/api/churn/test_intent.py`` measures it,
and the cue alone, on written examples in both languages (see
docs/scores-and-cases.md#churn-risk).
"""

from __future__ import annotations

import re

from index.document import Document

_ZH = [
    r"再也不(会)?(买|来|用|光顾|回购)", r"不会再(买|来|用|光顾|回购)", r"以后不(买|来|用)了", r"最后一次(买|购买|来)",
    r"换(一)?(别家|家店|个牌子|品牌|平台)", r"去别家", r"转投", r"改用(别|其他)", r"拉黑", r"取关", r"退订", r"销户",
    r"退会员", r"取消(自动)?(续费|订阅|会员)", r"(已经|已|准备|打算)?(卸载|注销)",
]
_EN = [
    r"\bcancel(l?ing|l?ed)?\s+(my|the|our)\s+(subscription|membership|account|plan)s?",
    r"\bunsubscrib(e|ed|ing)\b", r"\bclos(e|ing|ed)\s+my\s+account", r"\bnever\s+(buy|buying|order|ordering|shop|shopping|use|using)\b.{0,20}\bagain",
    r"\b(won'?t|will\s+not|not\s+going\s+to)\s+(buy|order|shop|use|come\s+back|be\s+back)\b", r"\blast\s+time\s+i\s+(buy|order|use|shop)",
    r"\bswitch(ing|ed)?\s+to\b", r"\bmov(e|ing)\s+to\s+(another|a\s+different|a\s+competitor)", r"\bgo(ing)?\s+(back\s+)?(to|with)\s+(another|a\s+competitor|the\s+competition)",
    r"\b(taking|take)\s+my\s+business\s+elsewhere", r"\bdone\s+with\s+(this|you|your)", r"\bfind\s+another\s+(seller|store|brand|provider)",
]
CUES = re.compile("|".join(f"(?:{p})" for p in _ZH + _EN), re.IGNORECASE)
#: A negation just before the cue turns it round ("不会换别家", "I would never switch to", "I almost cancelled").
_NEGATED = re.compile(r"(不会|不想|不用|没有|没必要|差点|险些|never|would\s*n[o']t|won'?t|not|no\s+need\s+to|almost|nearly)"
                      r"\W{0,3}$", re.IGNORECASE)
NPS_UNHAPPY, RATING_UNHAPPY = 6, 2


def cue(text: str) -> str | None:
    """The first intent cue in ``text`` not directly negated, else None."""
    for match in CUES.finditer(text or ""):
        if not _NEGATED.search(text[max(0, match.start() - 16):match.start()]):
            return match.group(0)
    return None


def unhappy(doc: Document) -> bool:
    """The document reads negative, or its own score says so."""
    nps = doc.scores.get("nps")
    return bool((doc.sentiment is not None and doc.sentiment.label == "negative")
                or (nps is not None and nps <= NPS_UNHAPPY) or (doc.rating is not None and doc.rating <= RATING_UNHAPPY))


def intent_to_leave(doc: Document) -> str | None:
    """The cue when ``doc`` states an intent to leave or switch (a cue in an unhappy document), else None."""
    found = cue(" ".join(filter(None, (doc.title, doc.text))))
    return found if found and unhappy(doc) else None


__all__ = ["CUES", "cue", "intent_to_leave", "unhappy"]
