"""Documents get their own topics' labels when they are written (issue 19): ingest, the queue worker, the API.

With the shipped lite model: a "strap" topic is taught from texts (with cue words), trained,
and never applied; documents then written by ``voclens ingest``, by ``voclens worker`` on a
real Redis and by ``POST /documents`` carry the label, located in the part of the text about
the strap with that part's polarity. A worker that keeps running follows a topic retrained or
removed meanwhile (on SQLite and Elasticsearch).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.own_topics import add_examples, add_topic, apply_topics, remove_topic, train_topics, with_own_topics
from crawlers.queue import Publisher, Worker, connect
from index.document import Document
from index.registry import open_backend
from nlp.analyser import get_analyser
from nlp.own_classifier import OwnTopicsClassifier
from nlp.own_topics import TopicExample
from tests.es_node import unique_prefix

ROOT = Path(__file__).resolve().parents[2]
STRAP = ["The strap broke after a week", "The watch band snapped on day two", "表带断了", "表带质量太差，戴了两天就裂开",
         "Strap is cheap plastic and cracked", "The strap is very comfortable", "表带很舒服，很软",
         "Nice leather strap, fits well", "表带扣坏了，戴不上", "The buckle of the strap fell off"]
BATTERY = ["The battery died after two days", "电池不耐用，一天就没电", "Battery drains overnight", "电池续航很好",
           "Battery life is amazing", "充电很慢，电池发烫"]
OTHER = ["Delivery was fast", "物流很快", "The box was crushed", "客服态度很好", "Price is great",
         "包装很精美", "屏幕很清晰", "The courier was late", "发货太慢了", "App keeps crashing", "退款很及时"]
MIXED = {"m1": "Great watch, fast delivery, love the face, but the strap broke after a week",
         "m2": "物流很快，包装也很好，但是表带断了", "m3": "Delivery was fast and the box was fine"}


def _examples(pos: list[str], neg: list[str]) -> list[dict]:
    return [{"text": t, "label": 1} for t in pos] + [{"text": t, "label": 0} for t in neg]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCLENS_")}
    env.update({"VOCLENS_DATA_DIR": str(data), "VOCLENS_MODEL": "lite", "PYTHONPATH": str(ROOT), **extra})
    return env


def _cli(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


def _records(texts: dict[str, str], day: int = 20) -> str:
    return "".join(json.dumps({"source": "own-write", "source_id": k, "text": t,
                               "created_at": f"2026-11-{day:02d}T08:00:00Z"}, ensure_ascii=False) + "\n"
                   for k, t in texts.items())


def _strap_labels(backend) -> dict[str, tuple[str, str, str]]:
    """source_id -> (document sentiment, the strap label's polarity, its evidence text) of every labelled document.

    The document's sentiment is given as "not negative" or "negative": these mixed reviews read as
    positive or mixed depending on the default model, and what matters is that the strap part's
    negative polarity is its own, not the document's."""
    out = {}
    for batch in backend.iter_documents():
        for d in batch:
            label = next((t for t in d.topics if t.topic == "strap"), None)
            if label is not None:
                text = f"{d.title}\n{d.text}" if d.title else d.text
                tone = "negative" if d.sentiment.label.value == "negative" else "not negative"
                out[d.source_id] = (tone, label.polarity.value, text[slice(*label.evidence)])
    return out


def _teach(backend, classifier) -> None:
    """The strap topic, taught from texts with its cue words and trained; never applied."""
    add_topic(backend, "strap", "表带", "Strap", cues=["strap", "表带", "band"])
    add_examples(backend, "strap", [TopicExample.model_validate(x) for x in _examples(STRAP, OTHER)])
    assert train_topics(backend, classifier)[0].head is not None


def _data_backend(data: Path):
    """The SQLite file the CLI uses with ``VOCLENS_DATA_DIR=data`` (``Settings.sqlite_path``)."""
    from api.settings import Settings

    data.mkdir(parents=True, exist_ok=True)
    return open_backend("sqlite", path=Settings(data_dir=data).sqlite_path)


#: The strap label is negative where the document is not.
EXPECTED = {"m1": ("not negative", "negative", "but the strap broke after a week"),
            "m2": ("not negative", "negative", "但是表带断了")}  # fmt: skip


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(600)  # subprocesses that each load the model: minutes on a loaded two-core machine
def test_ingest_labels_documents_with_trained_own_topics_and_stops_once_removed(tmp_path, lite):
    env = _env(tmp_path / "data")
    with _data_backend(tmp_path / "data") as backend:
        _teach(backend, lite)
    feed = tmp_path / "reviews.jsonl"
    feed.write_text(_records(MIXED), encoding="utf-8")
    _cli("ingest", str(feed), env=env)  # no `topics apply`: the write itself labels
    with _data_backend(tmp_path / "data") as backend:
        assert _strap_labels(backend) == EXPECTED
        # apply over what ingest wrote finds the same labels: nothing to change
        assert apply_topics(backend, classifier=lite).changed == 0
        remove_topic(backend, "strap")
    feed.write_text(_records({"m4": "Love it, but the strap broke"}, day=21), encoding="utf-8")
    _cli("ingest", str(feed), env=env)
    with _data_backend(tmp_path / "data") as backend:
        assert backend.count() == 4 and _strap_labels(backend) == {}


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(600)  # subprocesses that each load the model: minutes on a loaded two-core machine
def test_the_worker_cli_labels_what_it_writes(redis_server, tmp_path, lite):
    stream = f"own-{unique_prefix()}"
    env = _env(tmp_path / "data", VOCLENS_QUEUE_REDIS_URL=redis_server.url, VOCLENS_QUEUE_STREAM=stream)
    with _data_backend(tmp_path / "data") as backend:
        _teach(backend, lite)
    feed = tmp_path / "reviews.jsonl"
    feed.write_text(_records(MIXED), encoding="utf-8")
    _cli("ingest", str(feed), "--queue", env=env)
    _cli("worker", "--exit-when-empty", "--json", env=env)
    with _data_backend(tmp_path / "data") as backend:
        assert _strap_labels(backend) == EXPECTED


@pytest.fixture(scope="module")
def lite():
    from nlp.models import get_classifier

    return get_classifier("lite")


def _open(kind: str, request) -> object:
    if kind == "sqlite":
        return open_backend("sqlite", path=request.getfixturevalue("tmp_path") / "v.db")
    return open_backend("elasticsearch", hosts=[request.getfixturevalue("es_node").url], index_prefix=unique_prefix())


def _own(backend, ids: dict[str, str]) -> dict[str, str]:
    """source_id -> the polarity of its strap label, for the documents that have one."""
    out = {}
    for sid, doc_id in ids.items():
        for t in backend.get(doc_id).topics:
            if t.topic == "strap":
                out[sid] = t.polarity.value
    return out


@pytest.mark.model
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def test_a_running_worker_follows_a_topic_retrained_or_removed_meanwhile(kind, request, redis_server, lite):
    client = connect(redis_server.url)
    stream = f"own-{unique_prefix()}"
    backend = _open(kind, request)
    try:
        add_topic(backend, "strap", "表带", "Strap", cues=["strap", "表带", "band"])
        add_examples(backend, "strap", [TopicExample.model_validate(x) for x in _examples(STRAP, OTHER)])
        assert train_topics(backend, lite)[0].head is not None
        classifier = with_own_topics(lite, backend)
        assert isinstance(classifier, OwnTopicsClassifier)
        worker = Worker(client, stream, backend, get_analyser(), classifier, name="w", batch_size=10)
        publisher = Publisher(client, stream)

        def write(texts: dict[str, str]) -> dict[str, str]:
            docs = [Document(source="own-write", source_id=k, text=t, created_at="2026-11-20T00:00:00Z")
                    for k, t in texts.items()]
            publisher.publish(docs)
            worker.run(exit_when_empty=True)
            return {d.source_id: d.id for d in docs}

        ids = write(MIXED)
        assert _own(backend, ids) == {"m1": "negative", "m2": "negative"}
        # retrained meanwhile: the same key now means the battery; the same worker follows at once
        add_examples(backend, "strap", [TopicExample.model_validate(x) for x in _examples(BATTERY, OTHER + STRAP)],
                     replace=True)
        backend.save_own_topic(backend.own_topics()[0].model_copy(update={"cues": ["battery", "电池"]}))
        assert train_topics(backend, lite)[0].head is not None
        ids = write({"b1": "Nice screen, but the battery died in a day", "s1": "Love it, but the strap broke"})
        assert _own(backend, ids) == {"b1": "negative"}
        # removed meanwhile: nothing is labelled with it any more, and nothing kept its label
        remove_topic(backend, "strap")
        ids = write({"b2": "好看，但是电池一天就没电了", "s2": "The strap broke again"})
        assert _own(backend, ids) == {}
        assert backend.own_topics() == []
    finally:
        drop = getattr(backend, "drop_all", None)
        if drop is not None:
            drop()
        backend.close()


@pytest.mark.model
def test_post_documents_labels_with_trained_own_topics(tmp_path, lite):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiKey, Settings, hash_api_key

    backend = open_backend("sqlite", path=tmp_path / "v.db")
    add_topic(backend, "strap", "表带", "Strap", cues=["strap", "表带", "band"])
    add_examples(backend, "strap", [TopicExample.model_validate(x) for x in _examples(STRAP, OTHER)])
    assert train_topics(backend, lite)[0].head is not None
    key = "vl_own_write"
    app = create_app(Settings(data_dir=tmp_path, api_keys=[ApiKey(name="w", hash=hash_api_key(key), scopes=("read", "write"))]),
                     backend=backend, classifier=lite)
    with TestClient(app, headers={"X-API-Key": key}) as client:
        records = [{"source": "own-write", "source_id": k, "text": t, "created_at": "2026-11-20T08:00:00Z"}
                   for k, t in MIXED.items()]
        r = client.post("/documents", json={"documents": records})
        assert r.status_code == 200, r.text
        got = {}
        for doc_id in r.json()["ids"]:
            d = client.get(f"/documents/{doc_id}").json()
            got.update({d["source_id"]: (t["polarity"], d["text"][slice(*t["evidence"])])
                        for t in d["topics"] if t["topic"] == "strap"})
        assert got == {"m1": ("negative", "but the strap broke after a week"), "m2": ("negative", "但是表带断了")}
    backend.close()
