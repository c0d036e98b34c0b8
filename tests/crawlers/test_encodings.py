"""Import files in the encodings Chinese exports come in, through the real ``voclens ingest`` (issues 23, 25).

Each test writes a real file, runs the CLI in a subprocess into a real SQLite
file and reads the index and the rejected-rows side file back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawlers.charsets import detect_encoding
from crawlers.errors import ImportFileError
from crawlers.importers import BadRow, Row, read_records
from index.registry import open_backend

HEADER = "source,source_id,text,created_at"
ZH = ["物流太慢了，等了一个星期", "质量很差，用了两天就坏了", "客服态度很好，退货很快", "包装破损，要求退款"]
TW = ["物流太慢了，等了一個星期", "質量很差，用了兩天就壞了", "客服態度很好，退貨很快", "這個軟體的網路功能常常斷線"]


def csv_text(texts, sep=","):
    rows = [HEADER.replace(",", sep)] + [sep.join(["jd", str(i), t, "2026-11-01T10:00:00+08:00"]) for i, t in enumerate(texts)]
    return "\r\n".join(rows) + "\r\n"  # as Excel writes it


def ingest(tmp_path, path, *args, check=True):
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "api.cli", "ingest", str(path), "--no-classify", "--json", *args],
                       env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def index_texts(tmp_path):
    with open_backend("sqlite", path=tmp_path / "data" / "voclens.db") as backend:
        return {d.source_id: d.text for batch in backend.iter_documents() for d in batch}


def side_file(path):
    return [json.loads(line) for line in path.with_name(path.name + ".rejected.jsonl").read_text(encoding="utf-8").splitlines()]


def test_gbk_csv_from_excel_is_detected_and_a_broken_row_rejected(tmp_path):
    path = tmp_path / "export.csv"
    data = csv_text(ZH).encode("gbk")
    broken = b"jd,9," + ZH[0].encode("gbk") + b"\xff,2026-11-01T10:00:00+08:00\r\n"  # \xff is no GBK byte
    path.write_bytes(data + broken)  # line 6
    summary = json.loads(ingest(tmp_path, path).stdout)
    assert summary["encoding"] == "gb18030 (detected)"
    assert (summary["created"], summary["rejected"]) == (4, 1)
    assert summary["rejections"] == [{"line": 6, "reason": "invalid gb18030 byte sequence in column 'text'", "fields": []}]
    assert index_texts(tmp_path) == {str(i): t for i, t in enumerate(ZH)}
    with open_backend("sqlite", path=tmp_path / "data" / "voclens.db") as backend:
        assert backend.count("物流") == 1 and backend.count("退货") == 1


def test_big5_csv_is_detected_and_found_by_simplified_queries(tmp_path):
    path = tmp_path / "tw.csv"
    path.write_bytes(csv_text(TW).encode("big5"))
    summary = json.loads(ingest(tmp_path, path).stdout)
    assert summary["encoding"] == "cp950 (detected)" and summary["created"] == 4 and summary["rejected"] == 0
    assert index_texts(tmp_path) == {str(i): t for i, t in enumerate(TW)}  # stored as written
    with open_backend("sqlite", path=tmp_path / "data" / "voclens.db") as backend:
        assert backend.count("质量很差") == backend.count("質量很差") == 1
        assert backend.count("软体") == 1


def test_utf16_with_bom_tab_separated_as_excel_unicode_text(tmp_path):
    path = tmp_path / "unicode.tsv"
    path.write_bytes(b"\xff\xfe" + csv_text(ZH + TW[:1], sep="\t").encode("utf-16-le"))
    summary = json.loads(ingest(tmp_path, path).stdout)
    assert summary["encoding"] == "utf-16 (byte-order mark)"
    assert (summary["created"], summary["rejected"]) == (5, 0)
    assert index_texts(tmp_path)["4"] == TW[0]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_jsonl_rows_with_invalid_bytes_or_nul_are_rejected_the_rest_kept(tmp_path, workers):
    rows = [json.dumps({"source": "jd", "source_id": str(i), "text": f"{ZH[i % 4]} 第{i}条",
                        "created_at": "2026-11-01T10:00:00Z"}, ensure_ascii=False).encode() for i in range(1, 8)]
    rows[2] = rows[2].replace("第".encode(), b"\xe7\xac")  # line 3: a UTF-8 sequence cut short
    rows[4] = rows[4].replace("第".encode(), "call 13812345678 \x00".encode())  # line 5: a NUL byte
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    summary = json.loads(ingest(tmp_path, path, "--workers", workers).stdout)
    assert summary["encoding"] == "utf-8 (reads as UTF-8)"
    assert (summary["rows"], summary["created"], summary["rejected"]) == (7, 5, 2)
    assert [(r["line"], r["reason"]) for r in summary["rejections"]] == [
        (3, "invalid utf-8 byte sequence at character 55"),
        (5, "control character U+0000 at character 75"),
    ]
    assert sorted(index_texts(tmp_path)) == ["1", "2", "4", "6", "7"]
    side = side_file(path)
    assert [(s["line"], s["reason"]) for s in side] == [(r["line"], r["reason"]) for r in summary["rejections"]]
    assert "\ufffd" in side[0]["raw"]  # the undecodable bytes, shown as such
    assert "13812345678" not in json.dumps(side, ensure_ascii=False)  # masked as in the index


def test_encoding_option_overrides_detection_and_unknown_names_fail(tmp_path):
    path = tmp_path / "short.csv"
    path.write_bytes(csv_text(["好"]).encode("gbk"))  # two bytes of GBK: too little to detect from
    summary = json.loads(ingest(tmp_path, path, "--encoding", "gbk").stdout)
    assert summary["encoding"] == "gbk (--encoding)" and summary["created"] == 1
    assert index_texts(tmp_path) == {"0": "好"}
    r = ingest(tmp_path, path, "--encoding", "klingon", check=False)
    assert r.returncode != 0 and "unknown encoding 'klingon'" in r.stderr


def test_encoding_is_named_in_the_plain_report(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(csv_text(ZH), encoding="utf-8")
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "api.cli", "ingest", str(path), "--no-classify"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "encoding: utf-8 (reads as UTF-8)" in r.stdout


# -- the reader and detection without the CLI ------------------------------------------------
@pytest.mark.parametrize(("data", "expected"), [
    ("\ufeff" + csv_text(ZH), "utf-8-sig (byte-order mark)"),
    (csv_text(ZH), "utf-8 (reads as UTF-8)"),
    (csv_text(["ascii only"]), "utf-8 (reads as UTF-8)"),
    (csv_text(ZH).encode("gb18030"), "gb18030 (detected)"),
    (csv_text(TW).encode("big5"), "cp950 (detected)"),
    (b"\xfe\xff" + csv_text(ZH).encode("utf-16-be"), "utf-16 (byte-order mark)"),
])  # fmt: skip
def test_detection(tmp_path, data, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    assert str(detect_encoding(path)) == expected
    rows = list(read_records(path))
    assert all(isinstance(r, Row) for r in rows) and len(rows) == len(ZH if "ascii" not in str(data) else [1])
    assert rows[0].record["text"] in (ZH[0], TW[0], "ascii only")


def test_a_few_broken_lines_do_not_make_a_utf8_file_gbk(tmp_path):
    path = tmp_path / "mostly.csv"
    path.write_bytes(csv_text(ZH).encode() + "jd,9,坏".encode() + b"\xff,2026-11-01\n")
    assert detect_encoding(path).name == "utf-8"
    *good, bad = read_records(path)
    assert len(good) == 4 and isinstance(bad, BadRow) and bad.line == 6
    assert bad.raw["text"] == "坏\ufffd"  # the report names columns and shows the bad bytes as U+FFFD


def test_control_characters_but_tab_and_newline_are_rejected(tmp_path):
    path = tmp_path / "ctl.csv"
    texts = ["tab\there", '"two\r\nlines"', "bell\x07", "del\x7f", "esc\x1b[31m"]
    path.write_text(csv_text(texts), encoding="utf-8", newline="")
    rows = list(read_records(path))
    assert [type(r).__name__ for r in rows] == ["Row", "Row", "BadRow", "BadRow", "BadRow"]
    assert rows[1].record["text"] == "two\r\nlines"
    assert [r.reason for r in rows[2:]] == [f"control character U+{c:04X} in column 'text'" for c in (7, 0x7F, 0x1B)]
    assert [r.line for r in rows[2:]] == [5, 6, 7]  # the quoted newline makes row 2 two lines


def test_json_escapes_of_control_characters_and_surrogates_are_rejected(tmp_path):
    path = tmp_path / "esc.jsonl"
    path.write_text('{"text": "ok \\u00e9"}\n{"text": "nul \\u0000"}\n{"meta": {"k": "\\ud800"}}\n', encoding="utf-8")
    ok, nul, sur = read_records(path)
    assert isinstance(ok, Row) and ok.record["text"] == "ok é"
    assert (nul.line, nul.reason) == (2, "control character U+0000 in field 'text'")
    assert (sur.line, sur.reason) == (3, "unpaired UTF-16 surrogate in field 'meta.k'")


def test_unknown_encoding_is_a_file_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding"):
        detect_encoding(path, "klingon")
    path.write_bytes(b"so\xffurce,text\n")
    with pytest.raises(ImportFileError, match="header row is not text"):
        list(read_records(path, encoding="utf-8"))
