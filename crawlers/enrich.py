"""Analyse documents before they are indexed: language, keywords, sentiment and topics.

Runs in batches because classifiers are fastest on batches; pure with respect
to storage, so importers, the API and the Scrapy pipeline share it.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.document import Document
from nlp.analyser import Analyser, detect_lang
from nlp.classifier import Classifier
from nlp.labels import Classification


def label_text(doc: Document) -> str:
    """The text a classifier sees for ``doc``: title and body, as at ingest time.

    Ingest and ``voclens reclassify`` both use this, so a document re-labelled
    by a model gets exactly the labels it would have got had it been imported
    with that model.
    """
    return f"{doc.title}\n{doc.text}" if doc.title else doc.text


def with_labels(doc: Document, result: Classification) -> Document:
    """A copy of ``doc`` carrying ``result``'s sentiment, topics and model version."""
    return doc.model_copy(
        update={
            "sentiment": result.sentiment,
            "topics": list(result.topics),
            "model_version": result.model_version,
            "lang": doc.lang or result.lang,
        }
    )


def enrich(
    docs: Sequence[Document],
    analyser: Analyser,
    classifier: Classifier | None = None,
    *,
    reclassify: bool = False,
) -> list[Document]:
    """Return copies of ``docs`` with ``lang``, ``keywords`` and, given a classifier, labels.

    Args:
        reclassify: also re-label documents that already carry a sentiment
            (by default labels that came with the record are kept).
    """
    out: list[Document] = []
    for doc in docs:
        body = label_text(doc)
        update: dict = {}
        if not doc.lang:
            update["lang"] = detect_lang(body)
        if not doc.keywords:
            # Title and text are analysed as the backend will index them, so it reuses the tokens.
            words = analyser.analyse_for_index(doc.title) if doc.title else []
            words += analyser.analyse_for_index(doc.text)
            update["keywords"] = analyser.keywords_from_words(words)
        out.append(doc.model_copy(update=update) if update else doc)
    if classifier is not None:
        # a rating without words has nothing to classify: its stars are its sentiment
        todo = [i for i, d in enumerate(out) if (reclassify or d.sentiment is None) and label_text(d).strip()]
        if todo:
            texts = [label_text(out[i]) for i in todo]
            for i, result in zip(todo, classifier.classify_batch(texts), strict=True):
                out[i] = with_labels(out[i], result)
    return out
