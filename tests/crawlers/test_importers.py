import pytest

from crawlers.errors import ImportFileError
from crawlers.importers import BadRow, Row, read_records


def test_csv_rows_keep_their_file_line_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('source,source_id,text\njd,1,"multi\nline"\njd,2\n\njd,3,ok\n', encoding="utf-8")
    items = list(read_records(path))
    assert [type(i) for i in items] == [Row, BadRow, Row]
    assert items[0].record["text"] == "multi\nline"
    assert items[1].line == 4 and "expected 3 columns" in items[1].reason
    assert items[2].line == 6


def test_jsonl_bad_lines_are_reported_not_raised(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": 1}\n{broken\n[1, 2]\n\n{"b": 2}\n', encoding="utf-8")
    items = list(read_records(path))
    assert [(type(i).__name__, i.line) for i in items] == [("Row", 1), ("BadRow", 2), ("BadRow", 3), ("Row", 5)]
    assert "malformed JSON" in items[1].reason
    assert "expected a JSON object" in items[2].reason


def test_file_level_problems_raise(tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        list(read_records(tmp_path / "missing.csv"))
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(ImportFileError, match="format"):
        list(read_records(tmp_path / "x.txt"))
    (tmp_path / "d.csv").write_text("a,a\n1,2\n")
    with pytest.raises(ImportFileError, match="duplicate column"):
        list(read_records(tmp_path / "d.csv"))
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(ImportFileError, match="empty"):
        list(read_records(tmp_path / "e.csv"))


def test_bom_is_stripped(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffsource,text\njd,好\n".encode())
    (row,) = list(read_records(path))
    assert row.record == {"source": "jd", "text": "好"}
