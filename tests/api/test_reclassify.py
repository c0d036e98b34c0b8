"""Re-labelling an indexed SQLite file with another model, in process and through the CLI."""

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from api.reclassify import checkpoint_file, reclassify
from crawlers.ingest import ingest_file
from crawlers.normalize import RecordOptions
from index.base import Filters, TopicFilter
from index.registry import open_backend
from nlp.analyser import get_analyser
from nlp.classifier import Classifier
from nlp.labels import Classification, Polarity, Sentiment, TopicLabel
from nlp.models import get_classifier

LABELS = ("sentiment", "topics", "model_version")
TEXTS = [
    "物流太慢了，等了一周", "质量很好，推荐", "refund never arrived", "box was crushed",
    "客服态度很差", "尺码偏小，换货麻烦", "great price, fast shipping", "app keeps crashing at checkout",
    "包装破损", "正品，放心", "payment failed twice",
]
RECORDS = [
    {"source": "jd", "source_id": str(i), "text": t, "created_at": f"2026-11-{10 + i:02d}T10:00:00+08:00",
     "brand": "Voltra", "rating": (i % 5) + 1, **({"title": f"第{i}条标题"} if i % 3 == 0 else {})}
    for i, t in enumerate(TEXTS)
]


class ChecksumModelDouble(Classifier):
    """Test double for "model B": deterministic labels from a checksum of the text.

    Differs from ``fast`` everywhere (every text gets ``payment``), so a document
    that kept model A's labels cannot pass for one relabelled by B.
    """

    name = "checksum"

    def __init__(self, version: str = "checksum-test-double-2"):
        self._version = version
        self.calls: list[list[str]] = []

    @property
    def version(self) -> str:
        return self._version

    def classify_batch(self, texts):
        self.calls.append(list(texts))
        out = []
        for text in texts:
            crc = zlib.crc32(text.encode())
            label = list(Polarity)[crc % 3]
            topics = [TopicLabel(topic="payment", polarity=label, score=0.5)]
            if "\n" in text:  # a title was passed along: ingest does that too
                topics.append(TopicLabel(topic="usability", polarity=Polarity.neutral, score=0.5))
            out.append(Classification(lang="other", sentiment=Sentiment(label=label, score=(crc % 100) / 100),
                                      topics=topics, model_version=self._version))
        return out


class InterruptedOnSecondBatchDouble(Classifier):
    """Test double: wraps a real classifier and raises KeyboardInterrupt (Ctrl-C) on its 2nd batch."""

    name = "interrupted"

    def __init__(self, inner: Classifier):
        self.inner = inner
        self.batches = 0

    @property
    def version(self) -> str:
        return self.inner.version

    def classify_batch(self, texts):
        self.batches += 1
        if self.batches == 2:
            raise KeyboardInterrupt
        return self.inner.classify_batch(texts)


class FailsOnWordDouble(ChecksumModelDouble):
    """Test double: a model that raises on any text containing ``word``, as a real one may on odd input."""

    def __init__(self, word: str):
        super().__init__()
        self.word = word

    def classify_batch(self, texts):
        if any(self.word in t for t in texts):
            raise ValueError(f"cannot classify {self.word!r}")
        return super().classify_batch(texts)


def _ingest(tmp_path: Path, db: str, classifier: Classifier | None, records=RECORDS):
    src = tmp_path / f"{db}.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    backend = open_backend("sqlite", path=tmp_path / db)
    ingest_file(src, backend, get_analyser(), classifier, RecordOptions(), state_dir=tmp_path)
    return backend


def _docs(backend):
    return [d for batch in backend.iter_documents() for d in batch]


def test_documents_ingested_with_a_get_the_labels_b_would_have_given_them(tmp_path):
    b = ChecksumModelDouble()
    with _ingest(tmp_path, "a.db", get_classifier("fast")) as backend, \
            _ingest(tmp_path, "b.db", ChecksumModelDouble()) as ingested_with_b:
        before = _docs(backend)
        assert {d.model_version for d in before} == {"fast-lexicon-1"}
        report = reclassify(backend, b, batch_size=4, checkpoint_path=tmp_path / "ckpt.json")
        after = _docs(backend)

        assert (report.seen, report.updated, report.skipped_current, report.failed) == (11, 11, 0, 0)
        assert len(b.calls) == 3  # batches of 4, 4, 3
        assert backend.count() == len(after) == len(RECORDS)
        for old, new in zip(before, after, strict=True):
            assert new.model_dump(exclude=set(LABELS)) == old.model_dump(exclude=set(LABELS))
            direct = b.predict(f"{old.title}\n{old.text}" if old.title else old.text)
            assert (new.sentiment, new.topics, new.model_version) == (direct.sentiment, direct.topics, b.version)
        # The same labels as importing with B in the first place.
        assert [d.model_dump(include=set(LABELS)) for d in after] == \
            [d.model_dump(include=set(LABELS)) for d in _docs(ingested_with_b)]
        # The index follows, not only the stored JSON: every document now counts under B's topic.
        assert backend.count(filters=Filters(topics=[TopicFilter(topic="payment")])) == len(RECORDS)
        assert backend.count(filters=Filters(topics=[TopicFilter(topic="usability")])) == 4  # the titled ones
    assert not (tmp_path / "ckpt.json").exists()


def test_a_second_run_skips_everything_and_force_relabels(tmp_path):
    fast = get_classifier("fast")
    with _ingest(tmp_path, "v.db", None) as backend:
        assert {d.model_version for d in _docs(backend)} == {None}
        first = reclassify(backend, fast, checkpoint_path=tmp_path / "ckpt.json")
        snapshot = [d.model_dump() for d in _docs(backend)]
        second = reclassify(backend, fast, checkpoint_path=tmp_path / "ckpt.json")
        assert (first.updated, first.skipped_current) == (11, 0)
        assert (second.seen, second.updated, second.skipped_current, second.failed) == (11, 0, 11, 0)
        assert [d.model_dump() for d in _docs(backend)] == snapshot
        forced = reclassify(backend, fast, force=True)
        assert (forced.updated, forced.skipped_current) == (11, 0)
        assert [d.model_dump() for d in _docs(backend)] == snapshot  # same version, same labels


def test_an_interrupted_run_resumes_after_the_checkpoint_and_labels_each_document_once(tmp_path):
    ckpt = tmp_path / "ckpt.json"
    with _ingest(tmp_path, "v.db", get_classifier("fast")) as backend:
        ids = [d.id for d in _docs(backend)]
        crashing = InterruptedOnSecondBatchDouble(ChecksumModelDouble())
        with pytest.raises(KeyboardInterrupt):
            reclassify(backend, crashing, batch_size=3, checkpoint_path=ckpt)
        state = json.loads(ckpt.read_text())
        assert state["after_id"] == ids[2] and state["updated"] == 3
        assert [d.model_version for d in _docs(backend)] == ["checksum-test-double-2"] * 3 + ["fast-lexicon-1"] * 8

        b = ChecksumModelDouble()
        scanned: list[int] = []
        report = reclassify(backend, b, batch_size=3, checkpoint_path=ckpt, progress=scanned.append)
        assert report.resumed_after == ids[2]
        assert (report.seen, report.updated, report.skipped_current, report.failed) == (11, 11, 0, 0)
        assert scanned == [3, 3, 3, 2]  # the bar starts where the first run stopped
        labelled = [t for call in b.calls for t in call]
        by_text = {(f"{d.title}\n{d.text}" if d.title else d.text): d.id for d in _docs(backend)}
        assert sorted(by_text[t] for t in labelled) == ids[3:]  # the first batch was not redone
        assert {d.model_version for d in _docs(backend)} == {"checksum-test-double-2"}
    assert not ckpt.exists()


def test_a_checkpoint_of_another_model_or_force_is_not_resumed(tmp_path):
    ckpt = tmp_path / "ckpt.json"
    with _ingest(tmp_path, "v.db", get_classifier("fast")) as backend:
        with pytest.raises(KeyboardInterrupt):
            reclassify(backend, InterruptedOnSecondBatchDouble(ChecksumModelDouble()), batch_size=3, checkpoint_path=ckpt)
        other = reclassify(backend, ChecksumModelDouble("checksum-test-double-3"), checkpoint_path=ckpt)
        assert other.resumed_after is None and other.updated == 11
        with pytest.raises(KeyboardInterrupt):
            reclassify(backend, InterruptedOnSecondBatchDouble(get_classifier("fast")), batch_size=3, checkpoint_path=ckpt)
        forced = reclassify(backend, get_classifier("fast"), force=True, checkpoint_path=ckpt)
        assert forced.resumed_after is None and forced.updated == 11


def test_a_document_the_model_fails_on_keeps_its_labels_and_is_retried_next_run(tmp_path):
    with _ingest(tmp_path, "v.db", get_classifier("fast")) as backend:
        bad_id = next(d.id for d in _docs(backend) if "crushed" in d.text)
        report = reclassify(backend, FailsOnWordDouble("crushed"), batch_size=4)
        assert (report.updated, report.failed, report.failed_ids) == (10, 1, [bad_id])
        assert backend.get(bad_id).model_version == "fast-lexicon-1"
        retry = reclassify(backend, ChecksumModelDouble())
        assert (retry.updated, retry.skipped_current) == (1, 10)


def test_batch_size_must_be_positive(tmp_path):
    with open_backend("sqlite", path=tmp_path / "v.db") as backend, pytest.raises(ValueError):
        reclassify(backend, get_classifier("fast"), batch_size=0)


# -- the command, as a real process ---------------------------------------------------
VOCLENS = Path(sys.executable).with_name("voclens")


def voclens(*args, data_dir: Path, check=True, env=None):
    r = subprocess.run([str(VOCLENS), *args], env={**os.environ, "VOCLENS_DATA_DIR": str(data_dir), **(env or {})},
                       capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


def test_cli_labels_unlabelled_documents_then_reports_them_current(tmp_path):
    data = tmp_path / "data"
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    voclens("ingest", str(src), "--no-classify", data_dir=data)

    r = voclens("reclassify", "--model", "fast", "--batch-size", "4", data_dir=data, env={"VOCLENS_PROGRESS": "1"})
    assert "reclassified with fast-lexicon-1: 11 documents seen, 11 updated, 0 already current, 0 failed" in r.stdout
    assert "reclassify" in r.stderr and "11/11" in r.stderr  # the progress bar
    assert not list(data.glob("reclassify-*.json"))
    doc = json.loads(voclens("search", "物流", "--json", data_dir=data).stdout)["hits"][0]["document"]
    assert doc["model_version"] == "fast-lexicon-1" and doc["sentiment"]["label"] == "negative"

    again = json.loads(voclens("reclassify", "--json", data_dir=data).stdout)
    assert again == {"model_version": "fast-lexicon-1", "seen": 11, "updated": 0, "skipped_current": 11,
                     "failed": 0, "resumed_after_id": None, "failed_ids": []}


def test_cli_resumes_a_run_interrupted_with_the_same_model(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _ingest(tmp_path, "seed.db", None).close()
    (tmp_path / "seed.db").rename(data / "voclens.db")
    fast = get_classifier("fast")
    with open_backend("sqlite", path=data / "voclens.db") as backend:
        first_ids = [d.id for d in _docs(backend)][:5]
        with pytest.raises(KeyboardInterrupt):
            reclassify(backend, InterruptedOnSecondBatchDouble(fast), batch_size=5,
                       checkpoint_path=checkpoint_file(data, fast.version))
    r = voclens("reclassify", "--model", "fast", data_dir=data)
    assert f"11 documents seen, 11 updated, 0 already current, 0 failed (resumed after id {first_ids[-1]})" in r.stdout


def test_cli_unknown_model_is_a_clear_error(tmp_path):
    r = voclens("reclassify", "--model", "nope", data_dir=tmp_path, check=False)
    assert r.returncode == 1 and "nope" in r.stderr and "fast" in r.stderr


def test_cli_help_explains_the_command(tmp_path):
    out = voclens("reclassify", "--help", data_dir=tmp_path).stdout
    assert "--model" in out and "--force" in out and "continues where it" in out


class EncoderDouble(ChecksumModelDouble):
    """Test double for a model with an encoder: ``ChecksumModelDouble``'s labels plus a vector per text from its checksum."""

    @property
    def vector_model(self) -> str:
        return "checksum-encoder"

    def classify_with_vectors(self, texts):
        import numpy as np

        vectors = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(384) for t in texts])
        return self.classify_batch(texts), vectors.astype(np.float32)


def test_reclassify_gives_documents_the_vectors_ingest_would_have_given_them(tmp_path):
    encoder = EncoderDouble()
    records = [*RECORDS, {"source": "jd", "source_id": "stars", "text": "", "rating": 5,
                          "created_at": "2026-11-30T10:00:00+08:00"}]  # fmt: skip
    with _ingest(tmp_path, "a.db", get_classifier("fast"), records) as backend, \
            _ingest(tmp_path, "b.db", encoder, records) as ingested:
        ids = [d.id for d in _docs(backend)]
        assert backend.vectors(ids) == {}
        want = ingested.vectors(ids)
        assert len(want) == len(RECORDS) and {v.model for v in want.values()} == {"checksum-encoder"}  # no words: none
        report = reclassify(backend, encoder, batch_size=4)
        assert report.updated == len(records) and backend.vectors(ids) == want
        # a model without an encoder relabels and leaves the vectors (the texts did not change) ...
        reclassify(backend, get_classifier("fast"), batch_size=4)
        assert backend.vectors(ids) == want
        # ... and a document at the encoder's version that lacks its vector is taken again, only that one
        reclassify(backend, encoder, batch_size=4)
        stale = next(d for d in _docs(backend) if d.vector is not None)
        backend.upsert([stale.model_copy(update={"vector": None})])
        again = reclassify(backend, encoder, batch_size=4)
        assert (again.updated, again.skipped_current) == (1, len(records) - 1) and backend.vectors(ids) == want


def test_reclassifying_keeps_own_topic_labels(tmp_path):
    from index.own_topics import OwnTopic

    fast = get_classifier("fast")
    with _ingest(tmp_path, "own.db", None) as backend:
        backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
        first = _docs(backend)[0]
        backend.relabel_topics({first.id: {"leaking": 0.9}}, ["leaking"])
        reclassify(backend, fast, force=True)
        kept = backend.get(first.id)
        assert kept.model_version == fast.version and [t.topic for t in kept.topics].count("leaking") == 1
        assert backend.count("topic:leaking") == 1
