"""Survey columns of an imported record: scores, the customer id and the order id.

A survey export (Qualtrics, 问卷星, a shop's own NPS mail) carries ``nps`` (0-10), ``csat``
(1-5), ``ces`` (1-7), any other score as ``score_<name>`` (or a ``scores`` object in JSONL),
a customer id and an order id. Scores are checked against their scale here, each bad value a
problem naming its column, so the importer's rejection says which field of which line to fix;
the customer id is stored only as a keyed hash (``nlp.privacy.hash_customer``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from index.document import SCORE_SCALES, score_problem
from nlp.privacy import hash_customer

#: A column ``score_<name>`` carries the named score ``<name>`` (``score_effort`` -> ``scores.effort``).
SCORE_COLUMN_PREFIX = "score_"
_CUSTOMER_HASH_RE = re.compile(r"^c_[0-9a-f]{24}$")


def read_survey_fields(data: dict[str, Any], problems: list[tuple[str, str]], salt: str) -> None:
    """Scores into ``data["scores"]``, ``customer_id`` into ``customer_hash``, ``order_id`` as text."""
    _read_scores(data, problems)
    customer = data.pop("customer_id", None)
    given = data.get("customer_hash")
    if given is not None and not _CUSTOMER_HASH_RE.match(str(given)):
        customer, data["customer_hash"] = given, None  # a raw id in the hash column: hash it
    if customer is not None:
        data["customer_hash"] = hash_customer(customer, salt)
    if "order_id" in data:
        data["order_id"] = str(data["order_id"])


def _read_scores(data: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    """Collect ``nps``, ``csat``, ``ces``, ``score_<name>`` columns and a ``scores`` object into ``data["scores"]``.

    Each bad value is a problem naming its field (``nps: 11 is outside 0-10``), so the importer's
    rejection says which column of which line to fix; a row with no bad value keeps all its scores.
    """
    given = data.pop("scores", None)
    found: list[tuple[str, str, Any]] = []  # (field as written, score name, value)
    if isinstance(given, str):  # a CSV cell holding JSON
        try:
            given = json.loads(given)
        except ValueError:
            problems.append(("scores", "must be a JSON object of name -> number"))
            given = None
    if isinstance(given, Mapping):
        found += [(f"scores.{k}", str(k), v) for k, v in given.items()]
    elif given is not None:
        problems.append(("scores", "must be an object of name -> number"))
    for key in list(data):
        if key in SCORE_SCALES:
            found.append((key, key, data.pop(key)))
        elif key.startswith(SCORE_COLUMN_PREFIX):
            found.append((key, key[len(SCORE_COLUMN_PREFIX):], data.pop(key)))
    scores: dict[str, float] = {}
    for field_name, name, value in found:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        number = _number(value)
        problem = f"{value!r} is not a number" if number is None else score_problem(name, number)
        if name == "rating":
            problem = "the star rating goes in the rating column"
        if problem:
            problems.append((field_name, problem))
        else:
            scores[name] = number
    if scores:
        data["scores"] = scores


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


__all__ = ["SCORE_COLUMN_PREFIX", "read_survey_fields"]
