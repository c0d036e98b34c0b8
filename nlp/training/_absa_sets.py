"""Loaders for the aspect-based sentiment sets: SemEval ABSA XML and the PyABSA term files.

Their gold is a list of opinions per sentence, so a sentence's overall sentiment is its
opinions resolved by ``resolve_polarity``. SemEval labels fixed categories, which map onto
topics by a rule per category. The term sets label free-text aspect terms instead, so a term
names a topic only through a small cue table, and ``covered`` then holds only the topics
found: a sentence without a price term is no evidence that it says nothing about price.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path

from .evaluation import DEFAULT_DATA_DIR
from ..labels import Polarity
from ._example import WORD_POLARITY, Example, Opinions, Row, finish

# -- PyABSA term files (3 lines a record: sentence with $T$, term, polarity) -----------------

#: Chinese term cues in match order: courier service (快递服务) is logistics before it is service.
ZH_TERM_CUES: tuple[tuple[str, str], ...] = (
    ("物流", "logistics"), ("快递", "logistics"), ("发货", "logistics"), ("配送", "logistics"),
    ("包装", "packaging"), ("价格", "price"), ("价钱", "price"), ("价位", "price"),
    ("性价比", "price"), ("尺寸", "size_fit"), ("大小", "size_fit"),
    ("客服", "customer_service"), ("服务", "customer_service"),
)  # fmt: skip
#: English term cues (whole words). Colour is left out: a colour opinion is about mismatch with
#: the photos (not_as_described) only sometimes, and the term alone cannot tell when.
EN_TERM_CUES: tuple[tuple[str, str], ...] = (
    ("delivery", "logistics"), ("delivered", "logistics"), ("shipping", "logistics"),
    ("courier", "logistics"), ("packaging", "packaging"), ("packing", "packaging"),
    ("price", "price"), ("value", "price"), ("cost", "price"), ("money", "price"),
    ("discount", "price"), ("fit", "size_fit"), ("fits", "size_fit"), ("fitting", "size_fit"),
    ("fittings", "size_fit"), ("fitted", "size_fit"), ("size", "size_fit"),
    ("quality", "quality"), ("material", "quality"), ("fabric", "quality"),
    ("stitching", "quality"), ("service", "customer_service"), ("seller", "customer_service"),
    ("support", "customer_service"),
)  # fmt: skip

#: Whitespace not between two Latin letters or digits: tokeniser spacing in Chinese text.
_ZH_GAP = re.compile(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])")
_SPACE_BEFORE_PUNCT = re.compile(r" (?=[.,!?;:])")


def _zh_sentence(template: str, term: str) -> str:
    """The sentence with its term put back, without the files' spacing and [UNK] tokens.

    The Peng et al. files space every character and the shampoo file pads the term
    with spaces, so records of one review agree only once the spacing is gone.
    """
    text = template.replace("$T$", term).replace("[UNK]", "").strip()
    return " ".join(_ZH_GAP.sub("", text).split())


def _en_sentence(template: str, term: str) -> str:
    """The sentence with its term put back, tokeniser spaces before punctuation removed."""
    return _SPACE_BEFORE_PUNCT.sub("", " ".join(template.replace("$T$", term).split()))


def _zh_cue(term: str) -> str | None:
    term = "".join(term.split())
    return next((topic for cue, topic in ZH_TERM_CUES if cue in term), None)


def _en_cue(term: str) -> str | None:
    words = set(re.findall(r"[a-z]+", term.lower()))
    return next((topic for cue, topic in EN_TERM_CUES if cue in words), None)


def _read_term_records(path: Path) -> Iterator[tuple[str, str, Polarity]]:
    """(template, term, polarity) records; blank lines are ignored, unknown labels skipped."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i in range(0, len(lines) - 2, 3):
        template, term, label = lines[i], lines[i + 1].strip(), lines[i + 2].strip().lower()
        polarity = WORD_POLARITY.get(label)
        if polarity is not None and "$T$" in template:
            yield template, term, polarity


def _term_rows(paths: Sequence[Path], lang: str) -> list[Row]:
    """One row per sentence, its term records merged; an exact repeat of a record counts once."""
    sentence, cue = (_zh_sentence, _zh_cue) if lang == "zh" else (_en_sentence, _en_cue)
    by_text: dict[str, Opinions] = {}
    seen: set[tuple[str, str, Polarity]] = set()
    for path in paths:
        for record in _read_term_records(path):
            if record in seen:
                continue
            seen.add(record)
            template, term, polarity = record
            opinions = by_text.setdefault(sentence(template, term), Opinions())
            opinions.add(cue(term), polarity)
    return [
        Row(text, o.sentiment(), o.topics(), frozenset(o.by_topic)) for text, o in by_text.items()
    ]


_ZH_TERM_FILES = [f"{d}.{s}.txt" for d in ("camera", "car", "notebook", "phone", "hair")
                  for s in ("train", "test")]  # fmt: skip
_EN_TERM_FILES = ["Menstshirt_Train.xml.seg", "Menstshirt_Test_Gold.xml.seg",
                  "Television_Train.xml.seg", "Television_Test_Gold.xml.seg"]  # fmt: skip


def load_absa_term_zh_pyabsa(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Chinese camera/car/notebook/phone/shampoo term opinions, one example per sentence."""
    folder = Path(data_dir) / "absa_term_zh_pyabsa"
    rows = _term_rows([folder / name for name in _ZH_TERM_FILES], "zh")
    return finish("absa_term_zh_pyabsa", rows, lang="zh")


def load_absa_term_en_tshirt_television(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """English T-shirt and television term opinions, one example per sentence."""
    folder = Path(data_dir) / "absa_term_en_tshirt_television"
    rows = _term_rows([folder / name for name in _EN_TERM_FILES], "en")
    return finish("absa_term_en_tshirt_television", rows, lang="en")


# -- SemEval ABSA 2014-2016 -----------------------------------------------------------------

#: 2014 restaurant categories; ambience and anecdotes/miscellaneous name no topic.
_SEMEVAL14_TOPICS = {"food": "quality", "service": "customer_service", "price": "price"}
#: Topics each domain's category scheme can express (and so annotates when absent).
RESTAURANT_COVERED = frozenset({"quality", "customer_service", "price"})
LAPTOP_COVERED = frozenset(
    {"price", "customer_service", "logistics", "returns_refunds", "quality", "usability"}
)
#: (file, covered topics), newest first: a sentence repeated in an older year is dropped, so
#: it keeps the finer ENTITY#ATTRIBUTE labels. Trial files are subsets of the training files;
#: 2014 laptops and the 2014 test files label terms without sentence-complete polarity, and
#: SB2 files label whole reviews, so none of them is read.
SEMEVAL_FILES: tuple[tuple[str, frozenset[str]], ...] = (
    ("ABSA-SemEval2016/Training_Data/ABSA16_Restaurants_Train_SB1_v2.xml", RESTAURANT_COVERED),
    ("ABSA-SemEval2016/Training_Data/ABSA16_Laptops_Train_SB1_v2.xml", LAPTOP_COVERED),
    ("ABSA-SemEval2015/ABSA-15_Restaurants_Train_Final.xml", RESTAURANT_COVERED),
    ("ABSA-SemEval2015/ABSA-15_Laptops_Train_Data.xml", LAPTOP_COVERED),
    ("ABSA-SemEval2014/Restaurants_Train_v2.xml", RESTAURANT_COVERED),
)


def semeval_topic(category: str) -> str | None:
    """The topic of a SemEval category ("food" in 2014, ENTITY#ATTRIBUTE from 2015), if any.

    Prices win over the entity (shipping fees are price); then the entities that are
    themselves a topic (SERVICE, SUPPORT, SHIPPING, WARRANTY); then the attributes.
    """
    if "#" not in category:
        return _SEMEVAL14_TOPICS.get(category)
    entity, attribute = category.upper().split("#", 1)
    if attribute in ("PRICE", "PRICES"):
        return "price"
    if entity in ("SERVICE", "SUPPORT"):
        return "customer_service"
    if entity == "SHIPPING":
        return "logistics"
    if entity == "WARRANTY":
        return "returns_refunds"
    if attribute in ("QUALITY", "OPERATION_PERFORMANCE"):
        return "quality"
    if attribute == "USABILITY":
        return "usability"
    return None


def _semeval_rows(path: Path, covered: frozenset[str]) -> Iterator[Row]:
    for sentence in ET.parse(path).getroot().iter("sentence"):
        if sentence.get("OutOfScope") == "TRUE":  # not about the reviewed item: topics unknown
            continue
        opinions = Opinions()
        for tag in ("aspectCategory", "Opinion"):
            for op in sentence.iter(tag):
                polarity = WORD_POLARITY.get((op.get("polarity") or "").lower())
                if polarity is not None:
                    opinions.add(semeval_topic(op.get("category") or ""), polarity)
        yield Row(sentence.findtext("text") or "", opinions.sentiment(), opinions.topics(), covered)


def load_semeval_absa_2014_2016(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """SemEval restaurant and laptop sentences with their category opinions.

    Files missing from a partial copy are skipped.

    Raises:
        FileNotFoundError: when none of ``SEMEVAL_FILES`` is there.
    """
    folder = Path(data_dir) / "semeval_absa_2014_2016"
    present = [(folder / name, cov) for name, cov in SEMEVAL_FILES if (folder / name).exists()]
    if not present:
        raise FileNotFoundError(f"no SemEval ABSA file under {folder}")
    rows = [row for path, covered in present for row in _semeval_rows(path, covered)]
    return finish("semeval_absa_2014_2016", rows, lang="en")
