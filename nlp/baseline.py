"""The transparent lexicon baseline behind ``--model fast``.

Why a lexicon model at all: it needs no GPU and no download beyond two PyPI
packages, classifies thousands of short texts a second, and every label can be
explained by pointing at the words that produced it. It is also the yardstick the
transformer model must beat on the same dev splits (``nlp.training.evaluation``).

How it reads a text:

1. Split it into clauses on punctuation and on contrast words (但是/不过/but/
   however); a clause after a contrast weighs more than those before it, and a
   concessive clause (虽然/although) weighs less.
2. Score each clause: commerce cues (``nlp._cues``) first, then HowNet/DUTIR
   (Chinese) or VADER (English) for the remaining words; a negator within three
   words flips a valence, a degree adverb scales it.
3. The weighted sum of clause scores gives the overall sentiment; each topic
   found by the rules in ``nlp._cues.TOPIC_CUES`` takes the sign of the clauses
   that mention it, or the overall sentiment when those clauses carry none;
   clauses that only anticipate ("期待效果") name no topic.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from . import _cues
from ._lexicon import en_lexicon, zh_degree_words, zh_lexicon
from .analyser import detect_lang, get_analyser, normalize
from .classifier import Classifier
from .labels import DEFAULT_TOPICS, Classification, Polarity, Sentiment, TopicLabel

log = logging.getLogger(__name__)

#: How many words before a sentiment word a negator or degree adverb may stand.
WINDOW = 3
#: Weight of a clause that follows a contrast word, and of the clauses before it.
AFTER_CONTRAST = 1.5
BEFORE_CONTRAST = 0.6
#: Valence of "太/too" + a neutral word ("太小了", "too long"): mostly a complaint.
TOO_MUCH = -0.6

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Sentence ends, then clause separators; an ASCII "." ends a sentence only
# before a space or the end so "3.5" and "e.g" survive.
_SENTENCE_RE = re.compile(r"[。！？!?；;\n]+|\.+(?=\s|$)")
_CLAUSE_RE = re.compile(r"[，,、：:~～…()（）\[\]【】\"“”]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_CONTRAST_RE = re.compile(_cues.CONTRAST_PATTERN)
_CONCESSIVE_RE = re.compile(rf"^\s*(?:{_cues.CONCESSIVE_PATTERN})")
_IRREALIS_RE = re.compile(_cues.IRREALIS_PATTERN)


@dataclass(frozen=True)
class Clause:
    """One clause of a text with its weight in the overall score and its own score."""

    text: str
    weight: float
    score: float


@dataclass(frozen=True)
class _Resources:
    cue_re: re.Pattern[str]
    cues: dict[str, float]
    zh_lex: dict[str, float]
    en_lex: dict[str, float]
    negators: dict[str, float]
    degrees: dict[str, float]
    topic_res: tuple[tuple[str, re.Pattern[str]], ...]


@lru_cache(maxsize=1)
def _resources() -> _Resources:
    """Lexicons and compiled rules, built once per process (about 0.3 s)."""
    multi = {k: v for k, v in _cues.ZH_CUES.items() if len(k) > 1}
    multi["差不多"] = 0.0  # "almost": a neutral span that keeps "差" from matching
    multi["好像"] = 0.0
    zh_alt = "|".join(map(re.escape, sorted(multi, key=len, reverse=True)))
    en_alt = "|".join(map(re.escape, sorted(_cues.EN_CUES, key=len, reverse=True)))
    cue_re = re.compile(f"(?:{zh_alt})|\\b(?:{en_alt})\\b")
    cues = {**multi, **_cues.EN_CUES}
    zh_lex = dict(zh_lexicon())
    en_lex = dict(en_lexicon())
    negators = {**_cues.ZH_NEGATORS, **_cues.EN_NEGATORS}
    degrees = {**zh_degree_words(), **_cues.ZH_DEGREE, **_cues.EN_DEGREE}
    for word in [*negators, *degrees, *_cues.ZH_NEUTRAL]:
        # A modifier never carries valence of its own ("no" is -1.2 in VADER).
        zh_lex.pop(word, None)
        en_lex.pop(word, None)
    zh_lex.update({k: v for k, v in _cues.ZH_CUES.items() if len(k) == 1})
    topic_res = tuple(
        (topic, re.compile(f"{zh}|\\b(?:{en})\\b"))
        for topic, (zh, en) in _cues.TOPIC_CUES.items()
        if topic in DEFAULT_TOPICS
    )
    return _Resources(cue_re, cues, zh_lex, en_lex, negators, degrees, topic_res)


def split_clauses(text: str) -> list[tuple[str, float]]:
    """Split ``text`` into ``(clause, weight)`` pairs.

    Contrast words open a new clause worth ``AFTER_CONTRAST``; the clauses of
    the same sentence before it drop to ``BEFORE_CONTRAST``, because in "A, but
    B" the writer's verdict is B.
    """
    out: list[tuple[str, float]] = []
    for sentence in _SENTENCE_RE.split(text):
        start = len(out)
        for part in _CLAUSE_RE.split(sentence):
            for piece, contrast in _split_contrast(part):
                if not piece:
                    continue
                if contrast:
                    out[start:] = [(c, w * BEFORE_CONTRAST) for c, w in out[start:]]
                    out.append((piece, AFTER_CONTRAST))
                elif _CONCESSIVE_RE.match(piece):
                    out.append((piece, BEFORE_CONTRAST))
                else:
                    out.append((piece, 1.0))
    return out


def _split_contrast(part: str) -> list[tuple[str, bool]]:
    """Cut a clause at contrast words: ``(piece, opened_by_contrast)`` pairs.

    The contrast word itself is dropped: it carries no valence.
    """
    pieces: list[tuple[str, bool]] = []
    last, contrast = 0, False
    for m in _CONTRAST_RE.finditer(part):
        pieces.append((part[last : m.start()].strip(), contrast))
        last, contrast = m.end(), True
    pieces.append((part[last:].strip(), contrast))
    return pieces


def _tokens(clause: str, res: _Resources) -> list[tuple[str, float]]:
    """Words of a clause with their valence; matched cues are single tokens."""
    analyser = get_analyser()
    out: list[tuple[str, float]] = []
    last = 0
    for m in res.cue_re.finditer(clause):
        if m.start() > last:
            out.extend(_lexicon_tokens(analyser.words(clause[last : m.start()]), res))
        out.append((m.group(), res.cues[m.group()]))
        last = m.end()
    if last < len(clause):
        out.extend(_lexicon_tokens(analyser.words(clause[last:]), res))
    return out


def _lexicon_tokens(words: list[str], res: _Resources) -> list[tuple[str, float]]:
    out = []
    for w in words:
        if _CJK_RE.match(w):
            v = res.zh_lex.get(w, 0.0)
            if not v and len(w) > 1 and w not in res.negators and w not in res.degrees:
                v = _compound_valence(w, res)
        else:
            w = w.replace("'", "").replace("’", "") if w.endswith("n't") else w
            v = res.en_lex.get(w, 0.0)
        out.append((w, v))
    return out


def _compound_valence(word: str, res: _Resources) -> float:
    """Valence of an unknown word made of a modifier plus a known word.

    jieba often keeps "不耐用" or "挺快" as one word that no lexicon lists.
    """
    for n in ("没有", "不", "没", "无", "未"):
        if word.startswith(n) and word[len(n) :] in res.zh_lex:
            return -res.negators[n] * res.zh_lex[word[len(n) :]]
    head, rest = word[0], word[1:]
    if head in _cues.ZH_DEGREE and rest in res.zh_lex:
        return _cues.ZH_DEGREE[head] * res.zh_lex[rest]
    return 0.0


def score_tokens(tokens: Sequence[tuple[str, float]], res: _Resources | None = None) -> float:
    """Sum of valences after negators flip and degree adverbs scale them.

    A negator or adverb counts only if it stands within ``WINDOW`` words before
    the sentiment word with no other sentiment word in between; a negated word
    keeps only part of its strength ("not good" is weaker than "bad").
    """
    res = res or _resources()
    total = 0.0
    for i, (word, v) in enumerate(tokens):
        if not v:
            if word in ("太", "too") and i + 1 < len(tokens):
                nxt, nv = tokens[i + 1]
                if not nv and nxt not in res.negators and nxt not in res.degrees:
                    total += TOO_MUCH
            continue
        mult, flip = 1.0, 0.0
        for j in range(i - 1, max(-1, i - 1 - WINDOW), -1):
            prev, pv = tokens[j]
            if pv:
                break
            if prev in res.negators:
                flip = res.negators[prev] if not flip else 0.0
            elif prev in res.degrees:
                mult *= res.degrees[prev]
        if flip:
            # "不是很好": the adverb softens the negation rather than boosting it.
            v = -v * flip * min(mult, 1.0)
        else:
            v *= mult
        total += v
    return total


def analyse_text(text: str) -> tuple[float, list[Clause]]:
    """Overall valence of ``text`` and its scored clauses; the model's core, pure."""
    res = _resources()
    clauses = []
    total = 0.0
    for clause, weight in split_clauses(normalize(text).lower()):
        score = score_tokens(_tokens(clause, res), res)
        clauses.append(Clause(clause, weight, score))
        total += weight * score
    return total, clauses


def find_topics(clauses: Sequence[Clause]) -> dict[str, float]:
    """Topic -> summed score of the clauses that mention it (taxonomy order).

    Clauses that only anticipate ("期待效果", "hope it lasts") are skipped: they
    name an aspect without judging it.
    """
    found: dict[str, float] = {}
    judged = [c for c in clauses if not _IRREALIS_RE.search(c.text)]
    for topic, pattern in _resources().topic_res:
        for clause in judged:
            if pattern.search(clause.text):
                found[topic] = found.get(topic, 0.0) + clause.score
    return found


def mentioned_topics(text: str) -> set[str]:
    """The topics ``find_topics`` would report for ``text``, without scoring any clause.

    The transformer consults the cue rules on every text it labels; skipping
    the word segmentation and lexicon scoring that ``analyse_text`` does makes
    that check several times cheaper.
    """
    res = _resources()
    judged = [c for c, _ in split_clauses(normalize(text).lower()) if not _IRREALIS_RE.search(c)]
    return {topic for topic, pattern in res.topic_res if any(pattern.search(c) for c in judged)}


def names_topic(topic: str) -> Callable[[str], bool]:
    """A test of whether one clause's words name ``topic`` by the cue rules, read as
    ``mentioned_topics`` reads a text (normalised, lower-cased, anticipating clauses skipped);
    the transformer prefers such a clause as a topic's evidence (``nlp.evidence``)."""
    patterns = [p for t, p in _resources().topic_res if t == topic]

    def test(clause: str) -> bool:
        c = normalize(clause).lower()
        return bool(patterns) and not _IRREALIS_RE.search(c) and any(p.search(c) for p in patterns)

    return test


class LexiconClassifier(Classifier):
    """Lexicon-and-rules classifier: fast, deterministic, explainable.

    Args:
        pos_threshold: overall valence at or above which a text is positive.
        neg_threshold: overall valence at or below which it is negative
            (a negative number); in between it is neutral.

    Example:
        >>> clf = LexiconClassifier()
        >>> c = clf.predict("物流很快，但是质量很差")
        >>> c.sentiment.label.value, [(t.topic, t.polarity.value) for t in c.topics]
        ('negative', [('logistics', 'positive'), ('quality', 'negative')])
    """

    name = "fast"
    _VERSION = "fast-lexicon-1"
    DEFAULT_POS = 0.3
    DEFAULT_NEG = -0.3

    def __init__(self, pos_threshold: float = DEFAULT_POS, neg_threshold: float = DEFAULT_NEG):
        if neg_threshold > pos_threshold:
            raise ValueError("neg_threshold must not exceed pos_threshold")
        self.pos_threshold = pos_threshold
        self.neg_threshold = neg_threshold

    @property
    def version(self) -> str:
        """``fast-lexicon-1``, plus the thresholds when they are not the defaults."""
        if (self.pos_threshold, self.neg_threshold) == (self.DEFAULT_POS, self.DEFAULT_NEG):
            return self._VERSION
        return f"{self._VERSION}+t{self.neg_threshold:g},{self.pos_threshold:g}"

    def classify_batch(self, texts: Sequence[str]) -> list[Classification]:
        """Classify each text independently; a lexicon gains nothing from batching."""
        return [self._classify(t) for t in texts]

    def _label(self, value: float) -> Polarity:
        if value >= self.pos_threshold:
            return Polarity.positive
        if value <= self.neg_threshold:
            return Polarity.negative
        return Polarity.neutral

    def _classify(self, text: str) -> Classification:
        total, clauses = analyse_text(text or "")
        label = self._label(total)
        strength = math.tanh(abs(total) / 2.0)
        conf = 0.5 + 0.5 * strength if label is not Polarity.neutral else 1.0 - 0.5 * strength
        topics = []
        for topic, score in find_topics(clauses).items():
            if abs(score) > 1e-9:
                polarity = Polarity.positive if score > 0 else Polarity.negative
                tconf = 0.5 + 0.5 * math.tanh(abs(score))
            else:
                polarity, tconf = label, 0.5
            topics.append(TopicLabel(topic=topic, polarity=polarity, score=round(tconf, 4)))
        return Classification(
            lang=detect_lang(text or ""),
            sentiment=Sentiment(label=label, score=round(conf, 4)),
            topics=topics,
            model_version=self.version,
        )


__all__ = ["Clause", "LexiconClassifier", "analyse_text", "find_topics", "mentioned_topics", "split_clauses"]
