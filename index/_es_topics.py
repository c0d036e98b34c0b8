"""Own topics on Elasticsearch: definitions in ``{prefix}-own-topics``, labels by partial update.

A part of ``ElasticsearchBackend`` kept in its own file, like ``_es_vectors``.
``relabel_topics`` reads the documents' current topics (and sentiment) and
sends a partial update only where an own topic's labels change: the nested
``topics`` field that filters and aggregations read, and the topic list of
the stored ``doc``. The text is not analysed again. The vector is sent along:
it is kept out of ``_source`` (see ``_es_schema``), and an update rebuilds a
document from its ``_source``, which would drop it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from elastic_transport import TransportError
from elasticsearch import ApiError

from nlp.labels import TopicLabel

from ._es_erasure import READ as _READ
from ._es_query import translate
from ._es_schema import vector_from_hit, vector_source
from .own_topics import OwnTopic, wanted_labels

#: The definitions' index: one document per topic, the ``OwnTopic`` JSON kept whole and not indexed.
OWN_TOPICS_MAPPINGS = {"dynamic": "strict", "properties": {"key": {"type": "keyword"},
                                                            "body": {"type": "object", "enabled": False}}}
_CHUNK = 1000


class OwnTopicMixin:
    """``own_topics``, ``save_own_topic``, ``delete_own_topic``, ``relabel_topics``, ``topic_labels`` and ``make_writes_visible`` of ``ElasticsearchBackend``."""

    @property
    def _own_index(self) -> str:
        return f"{self.names.prefix}-own-topics"

    def _ensure_own_index(self) -> None:
        if self._own_index in self._known_indices:
            return
        try:
            self.es.indices.create(index=self._own_index, mappings=OWN_TOPICS_MAPPINGS, wait_for_active_shards="1",
                                   settings={"number_of_shards": 1, "number_of_replicas": self.replicas})
        except ApiError as exc:
            if "resource_already_exists" not in str(exc):
                raise translate(exc, "create own topics index") from exc
        except TransportError as exc:
            raise translate(exc, "create own topics index") from exc
        self._known_indices.add(self._own_index)

    def own_topics(self) -> list[OwnTopic]:
        resp = self._call("own topics", self.es.search, index=self._own_index, query={"match_all": {}}, size=10_000,
                          sort=[{"key": "asc"}], **_READ)
        return [OwnTopic.model_validate(h["_source"]["body"]) for h in resp.body["hits"]["hits"]]

    def save_own_topic(self, topic: OwnTopic) -> None:
        self._ensure_own_index()
        self._call("save own topic", self.es.index, index=self._own_index, id=topic.key, refresh=True,
                   document={"key": topic.key, "body": topic.model_dump(mode="json")})
        self.known_topics.forget()

    def delete_own_topic(self, key: str) -> bool:
        self._ensure_own_index()
        try:
            self.es.delete(index=self._own_index, id=key, refresh=True)
        except ApiError as exc:
            if exc.meta.status == 404:
                return False
            raise translate(exc, "delete own topic") from exc
        except TransportError as exc:
            raise translate(exc, "delete own topic") from exc
        finally:
            self.known_topics.forget()
        return True

    def make_writes_visible(self) -> None:
        """See ``Backend.make_writes_visible``: one refresh of the documents' indices (another process's
        ``bulk_import`` leaves its writes unrefreshed, and ``strip_topics`` must see them)."""
        self._call("refresh", self.es.indices.refresh, index=self.names.alias, ignore_unavailable=True)

    def relabel_topics(self, scores: Mapping[str, Mapping[str, float]], keys: Collection[str]) -> int:
        """See ``Backend.relabel_topics``: one read and at most one bulk of partial updates per thousand ids."""
        keys = set(keys)
        ids = list(scores)
        changed = 0
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            resp = self._search("relabel lookup", query={"ids": {"values": chunk}}, size=len(chunk) * 2,
                                track_total_hits=False, docvalue_fields=["vector"],
                                source=["sentiment", "created_at", "rating", "topics", "doc.topics", "vector_scale", "vector_model"])  # fmt: skip
            actions = []
            for hit in resp["hits"]["hits"]:
                update = _update(hit, scores[hit["_id"]], keys)
                if update is not None:
                    actions.append(({"update": {"_index": hit["_index"], "_id": hit["_id"]}}, {"doc": update}))
            self._bulk(actions)
            changed += len(actions)
        return changed

    def topic_labels(self, ids, keys) -> dict:
        """See ``Backend.topic_labels``: one read of the stored topic lists per thousand ids."""
        keys = set(keys)
        ids = list(dict.fromkeys(ids))
        out = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            resp = self._search("labels lookup", query={"ids": {"values": chunk}}, size=len(chunk) * 2,
                                track_total_hits=False, source=["doc.topics"])  # fmt: skip
            for hit in resp["hits"]["hits"]:
                stored = hit["_source"].get("doc", {}).get("topics") or []
                found = {t["topic"]: TopicLabel.model_validate(t) for t in stored if t["topic"] in keys}
                if found:
                    out[hit["_id"]] = found
        return out


def _update(hit: dict, scores: Mapping, keys: set[str]) -> dict | None:
    """The partial document giving ``hit`` the labels ``scores`` among ``keys``; None when it has them already."""
    source = hit["_source"]
    want, spans = wanted_labels(scores, keys, source.get("sentiment"))
    nested = source.get("topics") or []
    have = {t["topic"]: (t["polarity"], round(float(t["score"]), 4)) for t in nested if t["topic"] in keys}
    have_spans = {t["topic"]: t.get("evidence") for t in source.get("doc", {}).get("topics", []) if t["topic"] in keys}
    if want == have and (have_spans == spans or not any(spans.values())):
        return None
    created, rating = source.get("created_at"), source.get("rating")
    topics = [t for t in nested if t["topic"] not in keys]
    topics += [{"topic": k, "polarity": p, "score": s, "created_at": created, "rating": rating} for k, (p, s) in want.items()]
    stored = [t for t in source.get("doc", {}).get("topics", []) if t["topic"] not in keys]
    stored += [{"topic": k, "polarity": p, "score": s, "evidence": spans[k]} for k, (p, s) in want.items()]
    return {"topics": topics, "doc": {"topics": stored}, **vector_source(vector_from_hit(hit))}


__all__ = ["OWN_TOPICS_MAPPINGS", "OwnTopicMixin"]
