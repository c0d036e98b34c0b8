"""Importing files into a real SQLite index, including a crash in the middle."""

import json
import os
import signal
import subprocess
import sys
import time

from crawlers.ingest import ingest_file
from crawlers.normalize import RecordOptions
from index.document import document_id
from index.registry import open_backend
from nlp.analyser import get_analyser
from nlp.models import get_classifier

GOOD = [
    {"source": "jd", "source_id": str(i), "text": t, "created_at": f"2026-11-{10 + i:02d}T10:00:00+08:00", "author": f"u{i}"}
    for i, t in enumerate(["物流太慢了，等了一周", "质量很好，推荐", "refund never arrived", "box was crushed"])
]


def _write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")


def test_good_rows_are_kept_bad_rows_reported_with_line_and_field(tmp_path):
    src = tmp_path / "mixed.jsonl"
    _write_jsonl(src, [GOOD[0], "{not json", {**GOOD[1], "created_at": "tomorrow-ish"}, GOOD[2],
                       {**GOOD[3], "colour": "red"}, GOOD[3]])
    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        summary = ingest_file(src, backend, get_analyser(), get_classifier("fast"), RecordOptions(),
                              state_dir=tmp_path)
        assert (summary.created, summary.updated, summary.rejected, summary.rows) == (3, 0, 3, 6)
        assert [(r.line, r.fields) for r in summary.rejections] == [(2, []), (3, ["created_at"]), (5, ["colour"])]
        assert backend.count() == 3
        doc = backend.get(document_id("jd", "0"))
        assert doc.sentiment is not None and doc.model_version and doc.author_hash and doc.lang == "zh"
    side = [json.loads(line) for line in (tmp_path / "mixed.jsonl.rejected.jsonl").read_text().splitlines()]
    assert [s["line"] for s in side] == [2, 3, 5]
    assert "created_at" in side[1]["reason"]


def test_reimport_updates_instead_of_duplicating(tmp_path):
    src = tmp_path / "a.jsonl"
    _write_jsonl(src, GOOD)
    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        first = ingest_file(src, backend, get_analyser(), None, RecordOptions(), state_dir=tmp_path)
        _write_jsonl(src, [{**GOOD[0], "text": "物流其实还行"}] + GOOD[1:])
        second = ingest_file(src, backend, get_analyser(), None, RecordOptions(), state_dir=tmp_path)
        assert (first.created, first.updated) == (4, 0)
        assert (second.created, second.updated) == (0, 4)
        assert backend.count() == 4
        assert backend.count("物流其实还行") == 1


def test_killed_import_resumes_without_loss_or_duplicates(tmp_path):
    n = 12_000
    src = tmp_path / "big.jsonl"
    _write_jsonl(src, [{"source": "survey", "source_id": f"s{i}", "text": f"第{i}条 shipping was slow 物流慢",
                        "created_at": "2026-11-01T00:00:00Z"} for i in range(n)])
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "api.cli", "ingest", str(src), "--no-classify", "--batch-size", "200",
           "--commit-every", "1000", "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    checkpoints = []
    while time.time() < deadline and proc.poll() is None:
        checkpoints = list((tmp_path / "data").glob("ingest-*.json"))
        if checkpoints and json.loads(checkpoints[0].read_text() or "{}").get("line", 0) > 1000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "import finished before it could be killed; make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = json.loads(checkpoints[0].read_text())["line"]
    assert 0 < done_before < n

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["resumed_from_line"] >= done_before
    assert summary["created"] + summary["updated"] == n
    assert not list((tmp_path / "data").glob("ingest-*.json")), "checkpoint must go once the import completes"
    with open_backend("sqlite", path=tmp_path / "data" / "voclens.db") as backend:
        assert backend.count() == n
        assert backend.count("shipping") == n  # the full-text index holds each document once


def test_worker_processes_give_the_same_index_and_report(tmp_path):
    rows = [{"source": "jd", "source_id": str(i % 900), "text": f"第{i}条 物流太慢 refunds refused",
             "created_at": f"2026-11-{1 + i % 20:02d}T10:00:00Z", "author": f"u{i}"} for i in range(2000)]
    rows[5] = "{broken json"
    rows[700] = {**rows[700], "created_at": "soon"}
    src = tmp_path / "w.jsonl"
    _write_jsonl(src, rows)
    results = {}
    for workers in (1, 2):
        with open_backend("sqlite", path=tmp_path / f"w{workers}.db") as backend:
            s = ingest_file(src, backend, get_analyser(), get_classifier("fast"), RecordOptions(),
                            batch_size=128, workers=workers, rejected_path=tmp_path / f"rej{workers}.jsonl")
            docs = [d.model_dump(exclude={"fetched_at"}) for batch in backend.iter_documents() for d in batch]
            results[workers] = ((s.created, s.updated, s.rejected, s.rows, [r.line for r in s.rejections]),
                                docs, backend.count("refund"), backend.count('"物流 太慢"'))
    assert results[1] == results[2]
    assert results[2][0][:4] == (900, 1098, 2, 2000)
    assert results[2][2] == 900


def test_batches_are_gathered_into_larger_transactions_with_the_same_result(tmp_path):
    """commit_every groups batches (ids repeating across them) into one write; the index is the same."""
    rows = [{"source": "jd", "source_id": str(i % 300), "text": f"第{i}条 物流太慢 refunds refused",
             "created_at": f"2026-11-{1 + i % 20:02d}T10:00:00Z"} for i in range(700)]
    rows[10] = "{broken json"
    src = tmp_path / "g.jsonl"
    _write_jsonl(src, rows)
    results = {}
    for workers, commit_every in ((1, None), (1, 500), (2, 500)):
        with open_backend("sqlite", path=tmp_path / f"g{workers}-{commit_every}.db") as backend:
            writes = []  # a spy on the real backend: every write (upsert goes through write_prepared)
            real = backend.write_prepared
            backend.write_prepared = lambda rows, real=real: writes.append(len(rows)) or real(rows)
            s = ingest_file(src, backend, get_analyser(), None, RecordOptions(), batch_size=100, workers=workers,
                            commit_every=commit_every, rejected_path=tmp_path / "rej.jsonl")
            docs = [d.model_dump(exclude={"fetched_at"}) for batch in backend.iter_documents() for d in batch]
            results[workers, commit_every] = (docs, backend.count("refund"), s.rejected, s.rows, s.created)
        assert len(writes) == (7 if commit_every is None else 2), writes
    assert results[1, None] == results[1, 500] == results[2, 500]
    assert results[2, 500][1:] == (300, 1, 700, 300)


def test_worker_count_by_default_follows_file_size_model_and_cores():
    from crawlers.ingest import AUTO_WORKERS_MIN_ROWS, auto_workers

    fast = get_classifier("fast")
    big = AUTO_WORKERS_MIN_ROWS
    assert auto_workers(big, None, cores=2) == 2
    assert auto_workers(big, fast, cores=16) == 8
    assert auto_workers(big - 1, None, cores=16) == 1  # small files: starting workers costs more
    assert auto_workers(None, None, cores=16) == 1
    assert auto_workers(big, None, cores=1) == 1

    class TransformerNamed:  # only the name matters: a transformer already uses every core
        name = "transformer"

    assert auto_workers(big, TransformerNamed(), cores=16) == 1
