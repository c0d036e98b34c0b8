"""Schemathesis hooks for the contract test: the rules a schema cannot state, and nothing else.

``positive_data_acceptance`` fails when a request the schema allows is refused.
A few refusals depend on more than one value or on server state, which JSON
Schema cannot express; each is listed here with the detail the API answers,
so any *other* refusal of schema-valid data (a limit the schema does not
state, say) still fails the test.
"""

from __future__ import annotations

import ast
import json
import threading

import schemathesis

# CPython 3.11 keeps ast.parse's recursion counter in module state shared by all threads: two
# schemathesis workers (threads) parsing at once fail with "SystemError: AST constructor recursion
# depth mismatch" (hypothesis parses schemathesis' source to describe its filter lambdas, the
# first time each file is needed). Which operation hits it depends on timing; one parse at a time.
_PARSE_LOCK = threading.Lock()
_parse = ast.parse


def _parse_one_at_a_time(*args, **kwargs):
    with _PARSE_LOCK:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time

#: (substring of the problem's detail or title) -> why the schema cannot say it.
SEMANTIC_RULES = {
    "since must be earlier than until": "two parameters compared",
    "rating_min must not exceed rating_max": "two parameters compared",
    "invalid or expired cursor": "only a cursor this server issued is valid",
    "cursor expired": "a cursor lives elasticsearch_pit_keep_alive after its last page (server state)",
    "buckets; use a larger interval": "bucket count depends on since, until and interval together",
    "needs at least one address": "required only when channel is email",
    "needs a URL": "required only when channel is webhook",
    "needs a cron expression": "required only when frequency is cron",
    "a cron expression needs frequency": "allowed only when frequency is cron",
    "without a digest needs an alert rule": "required only when digest is false",
    "is not an e-mail address": "e-mail syntax",
    "bad cron expression": "cron syntax",
    "unknown time zone": "the zones this machine's tz database knows",
    "is a loopback address": "webhook targets are resolved and checked (webhook_allow_private)",
    "is a private address": "webhook targets are resolved and checked (webhook_allow_private)",
    "is a link-local address": "webhook targets are resolved and checked (webhook_allow_private)",
    "is a non-public address": "webhook targets are resolved and checked (webhook_allow_private)",
    "the webhook URL has no host": "URL syntax",
    "webhook URLs must be http or https": "URL syntax",
    "documents were rejected": "documents are validated one by one (the response reports each); all rejected is 422",
    "a saved query has no since/until": "a subscription's filters take no dates",
    "never fired before that time": "depends on the stored cron expression",
    "unknown field": "the q language's field names (a typo must not look like zero hits)",
    "expects one of": "values of the q language's fields",
    "expects a date like": "values of the q language's fields",
    "expects rating": "values of the q language's fields",
    "needs a value": "values of the q language's fields",
    "filters cannot be excluded": "the q language",
    "conflicting filters": "q's filters combined with the parameters",
    "invalid filter in query": "q's filters",
    "or an own topic's key": "topic values: the default topics and the own topics stored on the server (state)",
    "needs the customer journey": "split=stage/touchpoint: the journey's topics stored on the server (state)",
    "is a default topic": "an own topic's key must differ from the default topics' (a list, not a pattern)",
    "give exactly one of text and id": "an example names a text or a document, not both (two fields together)",
    "name no stored document": "example ids must name stored documents (server state)",
    "a topic keeps at most": "examples already stored count too (server state)",
    "text examples need the transformer model": "depends on the configured model (server state)",
    "would open a case for every document": "a case rule needs a query, a filter or a condition (any one of several)",
    "a rule's filters have no since/until": "a case rule's filters take no dates",
    "give a state, a note or an owner": "a case change needs one of three fields",
    "is only available for score metrics": "split=channel needs a score metric (two parameters together)",
    "is not available for score metrics": "split=sentiment needs a count metric (two parameters together)",
}


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    """Keep every failure except a documented semantic refusal of schema-valid data."""
    if "Valid data should have been accepted" not in str(getattr(failure, "message", "")):
        return True
    if response.status_code not in (400, 422):
        return True
    try:
        body = json.loads(response.content)
    except ValueError:
        return True
    text = f"{body.get('title', '')}: {body.get('detail', '')}"
    return not any(marker in text for marker in SEMANTIC_RULES)
