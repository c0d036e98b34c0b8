"""Scores over HTTP and on the command line: ``/trends?metric=nps``, ``/drivers``, ``voclens trends --metric``,
``voclens drivers`` (an in-process app over a real SQLite file; the CLI as a subprocess)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.sqlite import SQLiteBackend
from nlp.models import get_classifier
from tests.api.test_cli import voclens
from tests.index.test_scores_contract import NPS_TEN, _doc, _split_fixture


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data = tmp_path_factory.mktemp("scores")
    backend = SQLiteBackend(data / "voclens.db")
    backend.upsert(_split_fixture() + [_doc(1000 + i, nps=v, brand="Qinghe", rating=1 + v / 2.5) for i, v in enumerate(NPS_TEN)])
    with TestClient(create_app(Settings(data_dir=data), backend=backend, classifier=get_classifier("fast"))) as c:
        yield c
    backend.close()


def test_trends_of_nps_carry_values_intervals_and_the_method(client):
    r = client.get("/trends", params={"metric": "nps", "interval": "month", "brand": "Qinghe"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["metric"] == "nps" and "trinomial" in body["method"] and body["confidence"] == 0.95
    series = body["series"][0]
    assert (series["responses"], series["value"]) == (10, 20.0)  # the hand computation of the contract tests
    assert body["values"][0]["points"][0][1:] == [20.0, series["buckets"][0]["low"], series["buckets"][0]["high"]]


def test_trends_of_a_score_split_by_channel(client):
    body = client.get("/trends", params={"metric": "csat", "split": "channel"}).json()
    assert body["series"] == []  # nobody answered csat
    body = client.get("/trends", params={"metric": "nps", "split": "channel"}).json()
    assert {s["key"] for s in body["series"]} == {"survey", "ticket"}


def test_score_and_count_splits_are_told_apart(client):
    r = client.get("/trends", params={"metric": "nps", "split": "sentiment"})
    assert r.status_code == 422 and "split=sentiment" in r.json()["detail"]
    r = client.get("/trends", params={"metric": "volume", "split": "channel"})
    assert r.status_code == 422 and "only available for score metrics" in r.json()["detail"]
    plain = client.get("/trends", params={"metric": "volume", "interval": "month"}).json()
    assert plain["metric"] == "volume" and "volume" in plain["series"][0]["buckets"][0]  # unchanged for counts


def test_drivers_rank_topics_by_the_points_they_cost(client):
    r = client.get("/drivers", params={"metric": "nps", "min_count": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    top = body["drivers"][0]
    assert (top["topic"], top["polarity"]) == ("logistics", "negative")
    assert top["impact_low"] < top["impact"] < top["impact_high"] and body["overall"]["responses"] == 130
    lumio = client.get("/drivers", params={"metric": "rating", "brand": "Qinghe", "min_count": 2}).json()
    assert lumio["overall"]["responses"] == 10 and lumio["drivers"] == []  # the Qinghe answers name no topic
    assert client.get("/drivers", params={"metric": "volume"}).status_code == 422


def test_cli_trends_metric_and_drivers(tmp_path):
    src = tmp_path / "survey.jsonl"
    rows = [{"source": "qualtrics", "source_id": str(i), "channel": "survey", "nps": v, "customer_id": f"m{i}",
             "text": "The courier lost my parcel" if v <= 6 else "Great quality, fast delivery",
             "created_at": f"2026-11-{2 + i:02d}T10:00:00+08:00"} for i, v in enumerate(NPS_TEN)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    voclens("ingest", str(src), data_dir=tmp_path)
    out = voclens("trends", "--metric", "nps", "--interval", "month", data_dir=tmp_path).stdout
    assert "nps of all per month (UTC): 20.0 [-34.0 to 74.0], 10 responses" in out and "trinomial" in out
    data = json.loads(voclens("trends", "--metric", "nps", "--interval", "week", "--json", data_dir=tmp_path).stdout)
    assert sum(b["responses"] for b in data["series"][0]["buckets"]) == 10
    drivers = json.loads(voclens("drivers", "--metric", "nps", "--min-count", "2", "--json", data_dir=tmp_path).stdout)
    assert drivers["overall"]["value"] == 20.0 and drivers["drivers"][0]["impact"] > 0
    bad = voclens("trends", "--metric", "nps", "--split", "sentiment", data_dir=tmp_path, check=False)
    assert bad.returncode != 0 and "--split" in bad.stderr + bad.stdout


def test_post_documents_takes_survey_scores_and_names_a_bad_one(client):
    base = {"source": "qualtrics", "channel": "survey", "text": "ok", "created_at": "2026-11-02T10:00:00+08:00"}
    r = client.post("/documents", json={"documents": [
        {**base, "source_id": "p1", "nps": 9, "customer_id": "M-77", "order_id": "SO-9"},
        {**base, "source_id": "p2", "nps": 12}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["fields"] == ["nps"] and "outside 0-10" in body["errors"][0]["message"]
    doc = client.get(f"/documents/{body['ids'][0]}").json()
    assert doc["scores"] == {"nps": 9.0} and doc["order_id"] == "SO-9" and doc["customer_hash"].startswith("c_")
    assert "M-77" not in json.dumps(doc)
