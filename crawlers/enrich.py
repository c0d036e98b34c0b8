"""Analyse documents before they are indexed: language, keywords, sentiment, topics and vector.

Runs in batches because classifiers are fastest on batches; pure with respect
to storage, so importers, the API and the Scrapy pipeline share it. A
classifier with an encoder (the transformer) also gives each document its
vector (``index.vectors``) from the same pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.document import Document
from index.vectors import DocumentVector
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


def with_labels(doc: Document, result: Classification, vector: DocumentVector | None = None) -> Document:
    """A copy of ``doc`` carrying ``result``'s sentiment, topics and model version, and ``vector`` when given.

    Without a new vector the document keeps the one it has: its text did not
    change, so the vector still holds (a model without an encoder has none to give).
    """
    update = {
        "sentiment": result.sentiment,
        "topics": list(result.topics),
        "model_version": result.model_version,
        "lang": doc.lang or result.lang,
    }
    if vector is not None:
        update["vector"] = vector
    return doc.model_copy(update=update)


def classify_documents(docs: Sequence[Document], classifier: Classifier) -> list[Document]:
    """Copies of ``docs`` labelled by ``classifier`` (``label_text`` of each), with vectors where it makes them.

    A document without words (a rating only) gets no vector: the encoder's
    vector of an empty text would make every such document "similar".
    """
    texts = [label_text(d) for d in docs]
    results, vectors = classifier.classify_with_vectors(texts)
    return [with_labels(d, r, to_vector(classifier.vector_model, vectors, i) if texts[i].strip() else None)
            for i, (d, r) in enumerate(zip(docs, results, strict=True))]  # fmt: skip


def to_vector(model: str | None, vectors: np.ndarray | None, row: int) -> DocumentVector | None:
    """Row ``row`` of a classifier's vectors as a stored vector; None without vectors (or for a zero one)."""
    if vectors is None or model is None:
        return None
    return DocumentVector.from_array(model, vectors[row])


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
            for i, labelled in zip(todo, classify_documents([out[i] for i in todo], classifier), strict=True):
                out[i] = labelled
    return out
