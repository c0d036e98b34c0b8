"""``voclens topics`` end to end with the shipped lite model on the demo corpus (its planted 漏液 / leaking complaint).

Examples are texts the analyst wrote, so the encoder runs on them; the demo
documents carry the lite model's vectors from ingest. Also the customer
journey: installed, trained from its shipped examples, applied, charted.
"""

from __future__ import annotations

import json
import os

import pytest

from .test_cli import voclens

LEAK_EXAMPLES = [
    "爽肤水漏液了，瓶子里的水洒了一半", "收到的时候瓶盖没拧紧，漏了一袋子", "The bottle was leaking all over the box",
    "Lotion leaked out of the pump during shipping", "瓶口漏水，包装袋全湿了", "洗发水一路漏到底，盒子都泡软了",
    "The cap was loose and half the toner leaked", "精华液漏了，外盒全是油",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("topics") / "data"
    os.environ["VOCLENS_MODEL"] = "lite"  # subprocesses inherit it; restored below
    try:
        voclens("demo", "--no-serve", data_dir=data)
        yield data
    finally:
        os.environ["VOCLENS_MODEL"] = "fast"


@pytest.mark.model
def test_teach_train_apply_and_search_an_own_topic(data, tmp_path, monkeypatch):
    examples = tmp_path / "leaking.jsonl"
    lines = [{"text": t, "label": 1} for t in LEAK_EXAMPLES] + [{"text": "物流很快，包装完好", "label": 0}]
    examples.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    voclens("topics", "add", "leaking", "--name-zh", "漏液", "--name-en", "Leaking", "--cues", "漏液,leak", data_dir=data)
    assert "8 example(s) of it, 1 counter-example(s)" in voclens("topics", "examples", "leaking", str(examples), data_dir=data).stdout
    trained = json.loads(voclens("topics", "train", "--json", data_dir=data).stdout)
    # cross-validated on 9 examples the scores move in steps of 1/8: what the topic does is checked on the index below
    assert trained[0]["key"] == "leaking" and trained[0]["head"]["positives"] == 8 and trained[0]["head"]["recall"] >= 0.5
    assert voclens("search", "topic:leaking", "--json", data_dir=data, check=False).returncode == 0
    applied = json.loads(voclens("topics", "apply", "--json", data_dir=data).stdout)
    assert applied["seen"] >= 300 and applied["labelled"]["leaking"] >= 8
    hits = json.loads(voclens("search", "topic:leaking", "--limit", "100", "--json", data_dir=data).stdout)["hits"]
    texts = [h["document"]["text"] for h in hits]
    about_leaks = [t for t in texts if any(w in t.lower() for w in ("漏", "leak"))]
    assert len(about_leaks) >= 8 and len(about_leaks) >= 0.6 * len(texts), texts
    again = json.loads(voclens("topics", "apply", "--json", data_dir=data).stdout)
    assert again["changed"] == 0
    # on a terminal (here forced) a progress bar counts the documents, in batches of --batch-size
    with monkeypatch.context() as m:
        m.setenv("VOCLENS_PROGRESS", "1")
        shown = voclens("topics", "apply", "--batch-size", "100", data_dir=data)
    assert f"to {applied['seen']} documents" in shown.stdout and ": 0 changed" in shown.stdout
    assert "apply" in shown.stderr and f"{applied['seen']}/{applied['seen']}" in shown.stderr
    listed = voclens("topics", "list", data_dir=data).stdout
    assert "leaking" in listed and "漏液" in listed
    gone = voclens("topics", "remove", "leaking", data_dir=data).stdout
    assert f"came off {applied['labelled']['leaking']} document(s)" in gone
    r = voclens("search", "topic:leaking", data_dir=data, check=False)
    assert r.returncode == 1 and "got 'leaking'" in r.stderr


@pytest.mark.model
def test_the_journey_is_trained_applied_and_charted_by_stage(data):
    assert voclens("trends", "--split", "stage", data_dir=data, check=False).returncode == 1
    voclens("topics", "journey", data_dir=data)
    trained = json.loads(voclens("topics", "train", "--json", data_dir=data).stdout)
    assert len(trained) == 18 and all(r["head"] for r in trained), trained
    delivery = next(r for r in trained if r["key"] == "touch_delivery")["head"]
    assert delivery["positives"] >= 24 and delivery["recall"] > 0.6
    voclens("topics", "apply", data_dir=data)
    stages = json.loads(voclens("trends", "--split", "stage", "--interval", "week", "--json", data_dir=data).stdout)
    keys = {s["key"] for s in stages["series"]}
    assert keys and keys <= {"stage_discovery", "stage_consideration", "stage_purchase", "stage_fulfilment", "stage_retention"}
    assert "stage_fulfilment" in keys  # the demo's parcels: leaking bottles, slow couriers
    # a score per stage (issue 26): the demo's star ratings and NPS answers, kept to the stage keys
    rated = json.loads(voclens("trends", "--metric", "rating", "--split", "stage", "--json", data_dir=data).stdout)
    assert rated["metric"] == "rating" and {s["key"] for s in rated["series"]} <= keys
    touch = json.loads(voclens("trends", "--split", "touchpoint", "--json", data_dir=data).stdout)
    assert {s["key"] for s in touch["series"]} <= {r["key"] for r in trained if r["key"].startswith("touch_")}
    # the default topics are still there
    top = json.loads(voclens("top", "topics", "--json", "--limit", "50", data_dir=data).stdout)
    assert "logistics" in {t["topic"] for t in (top["topics"] if isinstance(top, dict) else top)}
