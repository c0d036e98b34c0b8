"""The voclens command line, run as a real subprocess."""

import json
import os
import subprocess
import sys

import pytest

COMMANDS = ["ingest", "search", "trends", "top", "emerging", "get", "classify", "serve", "demo", "keys"]


def voclens(*args, data_dir=None, input=None, check=True):
    env = {**os.environ}
    if data_dir:
        env["VOCLENS_DATA_DIR"] = str(data_dir)
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                       input=input, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


def test_top_level_help_lists_every_command():
    out = voclens("--help").stdout
    for cmd in COMMANDS:
        assert cmd in out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help(cmd):
    out = voclens(cmd, "--help").stdout
    assert "Usage" in out and len(out.splitlines()) > 4


def test_classify_writes_labels_and_reports_bad_lines(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(
        '{"id": 1, "text": "物流很快，但是质量太差了"}\n{"id": 2}\nnot json\n{"id": "b", "text": "Terrible, broke after a day"}\n',
        encoding="utf-8",
    )
    r = voclens("classify", "--input", str(src), "--output", str(dst), "--model", "fast")
    assert "2 line(s) skipped" in r.stderr and ":2:" in r.stderr and ":3:" in r.stderr
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "b"]
    first = rows[0]
    assert first["lang"] == "zh" and set(first["sentiment"]) == {"label", "score"}
    assert {(t["topic"], t["polarity"]) for t in first["topics"]} >= {("quality", "negative")}
    assert rows[1]["sentiment"]["label"] == "negative"


def test_classify_unknown_model_is_a_clear_error(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "好"}\n')
    r = voclens("classify", "-i", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", "nope", check=False)
    assert r.returncode != 0 and "nope" in r.stderr


def test_ingest_csv_with_mapping_then_search(tmp_path):
    csv = tmp_path / "tickets.csv"
    csv.write_text(
        "ticket,body,opened,agent\n"
        "T1,Refund still not received after two weeks,2026-11-01 09:00,bob\n"
        "T2,,2026-11-02 09:00,bob\n"
        "T3,Courier lost my parcel,not-a-date,bob\n"
        "T4,The app crashes at checkout,2026-11-03 10:00,amy\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    r = voclens("ingest", str(csv), "--source", "zendesk", "--channel", "ticket", "--extra", "meta", "--tz",
                "Europe/London", "--map", "source_id=ticket", "--map", "text=body", "--map", "created_at=opened",
                data_dir=data)
    assert "4 rows read, 2 imported, 0 updated, 2 rejected" in r.stdout
    assert "line 3" in r.stdout and "text" in r.stdout and "line 4" in r.stdout and "created_at" in r.stdout
    assert (tmp_path / "tickets.csv.rejected.jsonl").is_file()
    found = json.loads(voclens("search", "refunded", "--json", data_dir=data).stdout)
    assert [h["document"]["source_id"] for h in found["hits"]] == ["T1"]
    assert found["hits"][0]["document"]["meta"] == {"agent": "bob"}
    trends = json.loads(voclens("trends", "--interval", "day", "--json", data_dir=data).stdout)
    assert sum(b["volume"] for b in trends["series"][0]["buckets"]) == 2


def test_ingest_missing_file_is_a_clear_error(tmp_path):
    r = voclens("ingest", str(tmp_path / "nope.csv"), data_dir=tmp_path, check=False)
    assert r.returncode == 1 and "no such file" in r.stderr


def test_keys_create_prints_a_key_and_only_its_hash_for_settings():
    out = voclens("keys", "create", "--name", "bi", "--scope", "read").stdout
    key = out.split("API key (shown once): ")[1].split()[0]
    assert key.startswith("vl_") and 'hash = "sha256:' in out
    assert out.count(key) == 1


@pytest.mark.parametrize(("args", "env", "why"), [
    (["serve", "--host", "0.0.0.0", "--port", "1"], {}, "0.0.0.0 is not a loopback address"),
    (["serve", "--port", "1"], {"VOCLENS_ENV": "production"}, "VOCLENS_ENV is production"),
    (["crawl", "jd", "-a", "products=100012043978"], {"VOCLENS_ENV": "production"}, "VOCLENS_ENV is production"),
    (["crawl", "jd", "-a", "products=100012043978", "--redis-url", "redis://10.0.0.5:6379/0"], {},
     "10.0.0.5 is not a loopback address"),
])
def test_serve_and_crawl_refuse_the_default_salt_off_loopback_or_in_production(tmp_path, args, env, why):
    full_env = {k: v for k, v in os.environ.items() if k not in ("VOCLENS_AUTHOR_SALT", "VOCLENS_ENV")}
    full_env.update(env, VOCLENS_DATA_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], env=full_env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stderr + r.stdout
    message = " ".join(r.stderr.split())
    assert why in message and "VOCLENS_AUTHOR_SALT" in message and "default" in message


@pytest.mark.model
def test_get_shows_the_quote_that_evidences_each_topic(tmp_path):
    """Documents classified by the default model carry evidence offsets; `voclens get` shows the quotes."""
    src = tmp_path / "r.jsonl"
    text = "物流太慢了，等了一个星期才到。衣服面料很舒服"
    src.write_text(json.dumps({"source_id": "r1", "text": text, "created_at": "2026-11-20T10:00:00"}, ensure_ascii=False) + "\n",
                   encoding="utf-8")  # fmt: skip
    data = tmp_path / "data"
    voclens("ingest", str(src), "--source", "shop", "--model", "lite", data_dir=data)
    doc_id = json.loads(voclens("search", "物流", "--json", data_dir=data).stdout)["hits"][0]["document"]["id"]
    r = voclens("get", doc_id, data_dir=data)
    doc = json.loads(r.stdout)
    assert doc["topics"] and all(t["evidence"] for t in doc["topics"])
    for t in doc["topics"]:
        start, end = t["evidence"]
        assert f"{t['topic']} ({t['polarity']}): {text[start:end]}" in r.stderr
    sentence = text.index("。")  # the logistics sentence; the fabric clause after it is not evidence of logistics
    assert any(t["topic"] == "logistics" and t["evidence"][1] <= sentence for t in doc["topics"])


def test_since_takes_a_duration_and_empty_results_say_why(tmp_path):
    data = tmp_path / "data"
    voclens("demo", "--no-serve", data_dir=data)
    recent = json.loads(voclens("search", "--since", "30d", "--limit", "100", "--json", data_dir=data).stdout)
    assert recent["total"] > 0
    everything = json.loads(voclens("search", "--limit", "100", "--json", data_dir=data).stdout)
    assert recent["total"] < everything["total"]
    none = voclens("search", "zzzqqqxyz", "--since", "7d", data_dir=data).stdout
    assert none.startswith("0 match(es); nothing matches") and "┃" not in none
    bad = voclens("search", "--since", "last week", data_dir=data, check=False)
    assert bad.returncode == 2 and "duration" in bad.stderr
    empty = voclens("emerging", "keywords", "--window", "1h", "--min-count", "1000", data_dir=data).stdout
    assert ": none; " in empty and "--min-count" in empty and "┃" not in empty


def test_search_table_shows_ids_that_get_takes(tmp_path):
    data = tmp_path / "data"
    voclens("demo", "--no-serve", data_dir=data)
    doc_id = json.loads(voclens("search", "漏液", "--limit", "1", "--json", data_dir=data).stdout)["hits"][0]["document"]["id"]
    assert doc_id in voclens("search", "漏液", "--limit", "1", data_dir=data).stdout
    assert json.loads(voclens("get", doc_id, data_dir=data).stdout)["id"] == doc_id


def test_serve_on_a_busy_port_names_port_in_one_line(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = voclens("serve", "--port", str(port), data_dir=tmp_path / "data", check=False)
    assert r.returncode == 1 and "already in use" in r.stderr and f"--port {port + 1}" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 3


def test_train_heads_names_what_is_missing_before_any_work(tmp_path):
    r = voclens("model", "train-heads", "nlp/weights/e5s-lite-13", "--output", str(tmp_path / "m"), "--version", "x",
                "--data-dir", str(tmp_path / "no-data"), check=False)  # fmt: skip
    assert r.returncode != 0 and "no-data" in r.stderr and "missing" in r.stderr
    r = voclens("model", "train-heads", str(tmp_path / "no-model"), "--output", str(tmp_path / "m"), "--version", "x",
                "--data-dir", str(tmp_path), check=False)  # fmt: skip
    assert r.returncode != 0 and "no-model" in r.stderr
    r = voclens("model", "train-heads", "nlp/weights/e5s-lite-13", "--output", "nlp/weights/e5s-lite-13", "--version", "x",
                "--data-dir", str(tmp_path), check=False)  # fmt: skip
    assert r.returncode != 0 and "already a model folder" in r.stderr  # never written over
    assert not (tmp_path / "m").exists()
