"""Where annotated texts come from: every row of ``../shared/data`` the team may label, by a stable key.

The annotation set stores pointers, never texts (several sets are research-only and may not be
copied). A pointer is (set, key, sha): ``key`` names one record of one file in the set's own
terms (a CSV record number, a JSON id, an XML review id), and ``sha`` fingerprints the text
read there, so a data folder that changed under the pointer is caught instead of silently
pairing labels with another text. Each reader yields :class:`SourceRow` in file order; the
readers are the only place the annotation side knows a set's file layout.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: online_shopping_10_cats categories -> domain names.
SHOPPING_DOMAINS = {
    "书籍": "books", "平板": "tablets", "手机": "phones", "水果": "fruit", "洗发水": "shampoo",
    "热水器": "water_heaters", "蒙牛": "dairy", "衣服": "clothing", "计算机": "computers",
    "酒店": "hotels",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One text of a shared set that can be annotated, with what the set says about it.

    ``meta`` holds the set's own labels (star rating, binary label, category) used for
    stratified sampling and for star-rated sentiment evaluation, never shown to annotators.
    """

    set: str
    key: str
    text: str
    lang: str
    domain: str
    meta: dict = field(default_factory=dict)

    @property
    def sha(self) -> str:
        return text_sha(self.text)


def text_sha(text: str) -> str:
    """A short fingerprint of a text (NFC, stripped) that a pointer carries to detect drift."""
    norm = unicodedata.normalize("NFC", text.strip())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:10]


def _csv(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> Iterator[tuple[int, dict]]:
    """(1-based record number, record) of a CSV file with a header."""
    with open(path, encoding=encoding, newline="") as fh:
        yield from enumerate(csv.DictReader(fh, delimiter=delimiter), start=1)


def _clean(text: str) -> str:
    return text.replace("\ufeff", "").strip()


_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+(?=[\x00-\x7f])|(?<=[\x00-\x7f])\s+(?=[^\x00-\x7f])")


def _unsegment_zh(text: str) -> str:
    """PyABSA's Chinese files put a space between every character; put the sentence back together."""
    return _CJK_GAP.sub("", text).strip()


def online_shopping(data_dir: Path) -> Iterator[SourceRow]:
    name = "online_shopping_10_cats"
    for n, rec in _csv(data_dir / name / f"{name}.csv"):
        text = _clean(rec.get("review") or "")
        if text and rec.get("cat") in SHOPPING_DOMAINS:
            yield SourceRow(name, f"{name}.csv#{n}", text, "zh", SHOPPING_DOMAINS[rec["cat"]],
                            {"label": rec["label"].strip()})  # fmt: skip


def waimai(data_dir: Path) -> Iterator[SourceRow]:
    for n, rec in _csv(data_dir / "waimai_10k" / "waimai_10k.csv"):
        if text := _clean(rec.get("review") or ""):
            yield SourceRow("waimai_10k", f"waimai_10k.csv#{n}", text, "zh", "food_delivery",
                            {"label": rec["label"].strip()})  # fmt: skip


#: Weibo emoticon codes such as [哈哈]; their labels were derived from them, so annotators
#: would see the answer: they are removed from the text shown (and the fingerprint).
WEIBO_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")


def weibo(data_dir: Path) -> Iterator[SourceRow]:
    path = data_dir / "weibo_senti_100k_partial" / "weibo_senti_100k_partial_union.csv"
    for n, rec in _csv(path):
        text = " ".join(WEIBO_EMOTICON.sub(" ", rec.get("review") or "").split())
        if text:
            yield SourceRow("weibo_senti_100k_partial", f"weibo_senti_100k_partial_union.csv#{n}",
                            text, "zh", "weibo", {"label": rec["label"].strip()})  # fmt: skip


def dispute_appeals(data_dir: Path) -> Iterator[SourceRow]:
    for _, rec in _csv(data_dir / "ecommerce_dispute_appeals_zh" / "appeal_catagory.csv"):
        if text := _clean(rec.get("content") or ""):
            yield SourceRow("ecommerce_dispute_appeals_zh", f"appeal_catagory.csv#id={rec['dispute_id']}",
                            text, "zh", "dispute_appeals", {"outline": rec.get("outline", "")})  # fmt: skip


def _seg_records(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(record number, sentence with $T$, term, polarity) of a 3-line ABSA file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i in range(0, len(lines) - 2, 3):
        yield i // 3 + 1, lines[i], lines[i + 1], lines[i + 2].strip()


def _absa_terms(data_dir: Path, folder: str, files: dict[str, str], lang: str) -> Iterator[SourceRow]:
    """Each distinct sentence of a 3-line ABSA set once, keyed by its first record."""
    seen: set[str] = set()
    for fname, domain in files.items():
        for n, sent, term, pol in _seg_records(data_dir / folder / fname):
            text = sent.replace("$T$", term)
            text = _unsegment_zh(text) if lang == "zh" else " ".join(text.split())
            if text and text not in seen:
                seen.add(text)
                yield SourceRow(folder, f"{fname}#{n}", text, lang, domain, {"term_polarity": pol})


def pyabsa_zh(data_dir: Path) -> Iterator[SourceRow]:
    files = {f"{p}.{s}.txt": f"pyabsa_{p}" for p in ("camera", "car", "notebook", "phone", "hair")
             for s in ("train", "test")}  # fmt: skip
    yield from _absa_terms(data_dir, "absa_term_zh_pyabsa", files, "zh")


def tshirt_television(data_dir: Path) -> Iterator[SourceRow]:
    files = {f"{p}_{s}.xml.seg": d for p, d in (("Menstshirt", "tshirts"), ("Television", "televisions"))
             for s in ("Train", "Test_Gold")}  # fmt: skip
    yield from _absa_terms(data_dir, "absa_term_en_tshirt_television", files, "en")


def zhijiang(data_dir: Path) -> Iterator[SourceRow]:
    for _, rec in _csv(data_dir / "zhijiang2019_ecommerce_opinion" / "Train_reviews.csv"):
        if text := _clean(rec.get("Reviews") or ""):
            yield SourceRow("zhijiang2019_ecommerce_opinion", f"Train_reviews.csv#id={rec['id']}",
                            text, "zh", "cosmetics")  # fmt: skip


def amazon_alexa(data_dir: Path) -> Iterator[SourceRow]:
    seen: set[str] = set()
    for n, rec in _csv(data_dir / "amazon_alexa_reviews_en" / "amazon_alexa.tsv", delimiter="\t"):
        text = _clean(rec.get("verified_reviews") or "")
        if text and text not in seen and rec.get("rating", "").strip() in "12345":
            seen.add(text)
            yield SourceRow("amazon_alexa_reviews_en", f"amazon_alexa.tsv#{n}", text, "en",
                            "smart_speakers", {"stars": int(rec["rating"])})  # fmt: skip


def womens_clothing(data_dir: Path) -> Iterator[SourceRow]:
    for _, rec in _csv(data_dir / "womens_clothing_reviews_en" / "womens_clothing_reviews.csv"):
        if (text := _clean(rec.get("ReviewText") or "")) and rec.get("Rating", "").strip() in "12345":
            yield SourceRow("womens_clothing_reviews_en", f"womens_clothing_reviews.csv#row={rec['row']}",
                            text, "en", "womens_clothing", {"stars": int(rec["Rating"])})  # fmt: skip


def uci_sentences(data_dir: Path) -> Iterator[SourceRow]:
    for fname, domain in (("amazon_cells_labelled.txt", "cell_phone_accessories"), ("yelp_labelled.txt", "restaurants")):
        lines = (data_dir / "uci_sentiment_labelled_sentences" / fname).read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, start=1):
            text, _, label = line.rpartition("\t")
            if text.strip():
                yield SourceRow("uci_sentiment_labelled_sentences", f"{fname}#{n}", text.strip(), "en",
                                domain, {"label": label.strip()})  # fmt: skip


def _semeval_reviews(path: Path) -> Iterator[tuple[str, str]]:
    """(review id, whole review text: its sentences joined) of a SemEval 2015/2016 file."""
    for review in ET.parse(path).getroot().iter("Review"):
        text = " ".join((s.findtext("text") or "").strip() for s in review.iter("sentence")).strip()
        if text:
            yield review.get("rid"), text


def semeval_reviews(data_dir: Path) -> Iterator[SourceRow]:
    """SemEval laptop and restaurant reviews, whole reviews, keyed by file and review id.

    ``laptops`` are the 2015 laptop reviews (the first rounds drew from them); the 2016 files
    repeat all of 2015's reviews and add more, so ``laptops_2016`` holds only the reviews 2015 lacks
    (a domain's draw order depends on its rows, so the first one must not grow).
    ``restaurants_2016`` are the 2016 restaurant reviews, whole (``restaurants`` are Yelp sentences)."""
    folder = data_dir / "semeval_absa_2014_2016"
    seen: set[str] = set()
    for fname, year, domain in (("ABSA-15_Laptops_Train_Data.xml", "2015", "laptops"),
                                ("ABSA16_Laptops_Train_SB1_v2.xml", "2016/Training_Data", "laptops_2016"),
                                ("ABSA16_Restaurants_Train_SB1_v2.xml", "2016/Training_Data", "restaurants_2016")):
        for rid, text in _semeval_reviews(folder / f"ABSA-SemEval{year}" / fname):
            if domain == "laptops" or text not in seen:  # 2015 as it always was, duplicates too
                seen.add(text)
                yield SourceRow("semeval_absa_2014_2016", f"{fname}#rid={rid}", text, "en", domain)


def cfpb(data_dir: Path) -> Iterator[SourceRow]:
    path = data_dir / "cfpb_consumer_complaints_sample" / "Consumer_Complaints_sample.csv"
    for _, rec in _csv(path):
        if text := _clean(rec.get("Consumer_complaint_narrative") or ""):
            yield SourceRow("cfpb_consumer_complaints_sample", f"Consumer_Complaints_sample.csv#id={rec['Complaint_ID']}",
                            text, "en", "consumer_finance", {"product": rec.get("Product", "")})  # fmt: skip


def banking77(data_dir: Path) -> Iterator[SourceRow]:
    for fname in ("train.csv", "test.csv"):
        for n, rec in _csv(data_dir / "banking77" / fname):
            if text := _clean(rec.get("text") or ""):
                yield SourceRow("banking77", f"{fname}#{n}", text, "en", "banking_support",
                                {"intent": rec.get("category", "")})  # fmt: skip


def tweets(data_dir: Path) -> Iterator[SourceRow]:
    folder = data_dir / "tweeteval_sentiment"
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / "val_labels.txt").read_text(encoding="utf-8").splitlines()
    for n, (text, label) in enumerate(zip(texts, labels), start=1):
        if text.strip():
            yield SourceRow("tweeteval_sentiment", f"val_text.txt#{n}", text.strip(), "en", "tweets",
                            {"label": label.strip()})  # fmt: skip


def smp2020(data_dir: Path) -> Iterator[SourceRow]:
    folder = data_dir / "smp2020_ewect"
    for fname in ("usual_eval_labeled.txt",):
        for rec in json.loads((folder / fname).read_text(encoding="utf-8")):
            if text := _clean(rec.get("content") or ""):
                yield SourceRow("smp2020_ewect", f"{fname}#id={rec['id']}", text, "zh", "weibo_emotion",
                                {"emotion": rec.get("label", "")})  # fmt: skip


#: Every reader, by the name of the set it reads. Several readers may share a set name
#: (none do yet); keys are unique within a set.
READERS: dict[str, Callable[[Path], Iterator[SourceRow]]] = {
    "online_shopping_10_cats": online_shopping,
    "waimai_10k": waimai,
    "weibo_senti_100k_partial": weibo,
    "ecommerce_dispute_appeals_zh": dispute_appeals,
    "absa_term_zh_pyabsa": pyabsa_zh,
    "zhijiang2019_ecommerce_opinion": zhijiang,
    "smp2020_ewect": smp2020,
    "amazon_alexa_reviews_en": amazon_alexa,
    "womens_clothing_reviews_en": womens_clothing,
    "uci_sentiment_labelled_sentences": uci_sentences,
    "absa_term_en_tshirt_television": tshirt_television,
    "semeval_absa_2014_2016": semeval_reviews,
    "cfpb_consumer_complaints_sample": cfpb,
    "banking77": banking77,
    "tweeteval_sentiment": tweets,
}
