"""The chart PNG and each webhook format's documented shape (Slack, Feishu/Lark, DingTalk, WeCom)."""

from __future__ import annotations

import pytest

from api.digests import payloads
from api.digests.chart import NEGATIVE, VOLUME, decode_png, trend_png
from api.digests.content import build_digest
from api.digests.schedule import latest_due
from tests.index.corpus import doc

from .helpers import DUE, make_sub


@pytest.fixture
def digest(backend, sqlite_store):
    backend.upsert([doc("x1", "Package <!channel> arrived **crushed** & late [again]", lang="en", sentiment="negative",
                        topics={"logistics": "negative"}, created_at=DUE.replace(day=1, hour=1))])
    sub = make_sub(sqlite_store, name="Acme <logistics>", filters={"brand": ["Acme"]})
    return build_digest(backend, sub, latest_due("weekly", 9, "mon", "UTC", DUE), public_base_url="https://voc.example.com")


def _pixels(png: bytes, color) -> int:
    _, _, rows = decode_png(png)
    rgb = bytes(color)
    return sum(1 for row in rows for i in range(0, len(row), 3) if row[i:i + 3] == rgb)


def test_chart_is_a_valid_png_with_volume_and_negative_bars():
    png = trend_png([(10, 0), (20, 10)])
    width, height, _ = decode_png(png)
    assert (width, height) == (480, 140)
    assert _pixels(png, NEGATIVE) > 0 and _pixels(png, VOLUME) > _pixels(png, NEGATIVE)
    assert _pixels(trend_png([(10, 0), (20, 0)]), NEGATIVE) == 0
    assert decode_png(trend_png([]))[0] == 480


def test_slack_blocks(digest):
    body = payloads.slack(digest)
    assert isinstance(body["text"], str) and body["text"]  # notification fallback
    types = [b["type"] for b in body["blocks"]]
    assert types[0] == "header" and types[-1] == "context" and "section" in types and len(types) <= 50
    header = body["blocks"][0]["text"]
    assert header["type"] == "plain_text" and len(header["text"]) <= 150
    for block in body["blocks"]:
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
    flat = str(body["blocks"][1:])
    assert "<!channel>" not in flat and "&lt;!channel&gt;" in flat  # user text cannot ping the channel
    assert "<https://voc.example.com/documents/" in flat  # links in Slack's <url|text> form


def test_feishu_interactive_card(digest):
    body = payloads.feishu(digest)
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": "[voclens] Acme <logistics>: 23 Feb - 01 Mar 2026"}
    assert card["header"]["template"] in ("blue", "red")
    div = card["elements"][0]
    assert div["tag"] == "div" and div["text"]["tag"] == "lark_md" and "logistics" in div["text"]["content"]
    assert card["elements"][1] == {"tag": "hr"}
    button = card["elements"][2]["actions"][0]
    assert card["elements"][2]["tag"] == "action" and button["tag"] == "button" and button["url"].startswith("https://")


def test_dingtalk_markdown(digest):
    body = payloads.dingtalk(digest)
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    assert body["markdown"]["title"] and "**Top complaint topics**" in body["markdown"]["text"]
    # complaint text cannot open markdown bold or links of its own
    assert "**crushed**" not in body["markdown"]["text"] and "[again]" not in body["markdown"]["text"]


def test_wecom_markdown_within_4096_bytes(digest):
    body = payloads.wecom(digest)
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    assert len(body["markdown"]["content"].encode()) <= 4096
    long = digest.model_copy(update={"name": "长" * 3000})
    assert len(payloads.wecom(long)["markdown"]["content"].encode()) <= 4096


def test_generic_json_carries_the_digest_and_key(digest):
    body = payloads.payload("json", digest, "k123")
    assert body["type"] == "voclens.digest" and body["idempotency_key"] == "k123"
    assert body["digest"]["volume"] == digest.volume and body["digest"]["top_topics"][0]["topic"] == "logistics"
