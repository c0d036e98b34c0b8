"""Webhook bodies: generic JSON, and the documented message shapes of Slack, Feishu/Lark, DingTalk and WeCom.

Shapes (checked against each platform's documentation; the tests pin them):

* **Slack** incoming webhook: ``{"text": fallback, "blocks": [...]}`` with a
  ``header`` block (plain_text, at most 150 characters), ``section`` blocks
  with ``mrkdwn`` text (at most 3000 characters each), a ``context`` block.
  ``&``, ``<`` and ``>`` in user text are escaped, so a complaint cannot ping
  ``<!channel>``.
* **Feishu/Lark** custom bot: ``{"msg_type": "interactive", "card": {"header":
  {"title": {"tag": "plain_text", "content"}, "template"}, "elements": [{"tag":
  "div", "text": {"tag": "lark_md", "content"}}, {"tag": "hr"}, {"tag":
  "action", "actions": [{"tag": "button", ...}]}]}}``.
* **DingTalk** custom robot: ``{"msgtype": "markdown", "markdown": {"title",
  "text"}}``.
* **WeCom** (企业微信) group robot: ``{"msgtype": "markdown", "markdown":
  {"content"}}``, content at most 4096 bytes of UTF-8.

The generic JSON body carries the whole digest plus the idempotency key, for
receivers that build their own view.
"""

from __future__ import annotations

from typing import Any

from .content import Digest
from .drivers import driver_lines
from .render import headline, subject

SLACK_SECTION_MAX = 3000
SLACK_HEADER_MAX = 150
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_CHARS = 5000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", errors="ignore") + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_escape(text: str) -> str:
    """Keep quoted complaints from turning into headings, links or bold in chat markdown."""
    return text.replace("\n", " ").replace("[", "(").replace("]", ")").replace("*", "·").replace("#", "＃")


def markdown(d: Digest, *, link_style: str = "md") -> str:
    """The digest as chat markdown (DingTalk, WeCom, Feishu lark_md share this subset)."""
    lines = [f"**{subject(d)}**", ""] + [f"> {line}" for line in headline(d)] + [""]
    if d.top_topics:
        lines.append("**Top complaint topics**")
        for t in d.top_topics:
            lines.append(f"- **{t.topic}**: {t.count} ({t.change:+d})")
            for ex in t.examples:
                quote = _md_escape(_cut(ex.text, 140))
                lines.append(f"  - “{quote}”" + (f" [open]({ex.url})" if ex.url else ""))
    else:
        lines.append("No complaints in this period.")
    if d.score_drivers is not None:
        first, *rest = driver_lines(d.score_drivers)
        lines += ["", f"**{first}**", *(_md_escape(x) for x in rest)]
    if d.emerging_topics or d.emerging_keywords:
        lines += ["", "**Emerging**: " + ", ".join(f"{e.key} ({e.current})" for e in d.emerging_topics + d.emerging_keywords)]
    if d.link:
        lines += ["", f"[Open voclens]({d.link})"]
    return "\n".join(lines)


def generic(d: Digest, idempotency_key: str) -> dict[str, Any]:
    return {"type": f"voclens.{d.kind}", "version": 1, "idempotency_key": idempotency_key,
            "digest": d.model_dump(mode="json")}


def slack(d: Digest) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(subject(d), SLACK_HEADER_MAX), "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut("\n".join(_slack_escape(x) for x in headline(d)), SLACK_SECTION_MAX)}},
    ]
    if d.top_topics:
        blocks.append({"type": "divider"})
    for t in d.top_topics:
        quotes = "\n".join(
            f"> {_slack_escape(_cut(ex.text.replace(chr(10), ' '), 200))}"
            + (f" <{_slack_escape(ex.url)}|open>" if ex.url else "") for ex in t.examples)
        text = f"*{_slack_escape(t.topic)}*: {t.count} complaints ({t.change:+d} vs previous)\n{quotes}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SLACK_SECTION_MAX)}})
    if d.score_drivers is not None:
        first, *rest = driver_lines(d.score_drivers)
        text = "\n".join([f"*{_slack_escape(first)}*", *(_slack_escape(x) for x in rest)])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SLACK_SECTION_MAX)}})
    emerging = ", ".join(f"{_slack_escape(e.key)} ({e.current})" for e in d.emerging_topics + d.emerging_keywords)
    context = f"Emerging: {emerging}" if emerging else "Nothing emerging."
    if d.link:
        context += f" | <{_slack_escape(d.link)}|Open voclens>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, SLACK_SECTION_MAX)}]})
    return {"text": _cut(subject(d), 3000), "blocks": blocks[:50]}


def feishu(d: Digest) -> dict[str, Any]:
    elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": markdown(d)}}]
    if d.link:
        elements += [{"tag": "hr"}, {"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": "Open voclens"}, "type": "primary", "url": d.link}]}]
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": subject(d)}, "template": "red" if d.alert else "blue"},
        "elements": elements,
    }}


def dingtalk(d: Digest) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": _cut(subject(d), 100), "text": _cut(markdown(d), DINGTALK_MAX_CHARS)}}


def wecom(d: Digest) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": _cut_bytes(markdown(d), WECOM_MAX_BYTES)}}


def payload(fmt: str, d: Digest, idempotency_key: str) -> dict[str, Any]:
    """The webhook body for ``fmt`` (json, slack, feishu, dingtalk, wecom)."""
    if fmt == "json":
        return generic(d, idempotency_key)
    return {"slack": slack, "feishu": feishu, "dingtalk": dingtalk, "wecom": wecom}[fmt](d)


__all__ = ["dingtalk", "feishu", "generic", "markdown", "payload", "slack", "wecom"]
