"""The Elasticsearch backend: the same ``Backend`` contract as SQLite, on a cluster.

See ``_es_schema`` for the indices (monthly, behind one alias) and why the
text fields hold the shared analyser's tokens, ``_es_query`` for the
query DSL, ``_es_analytics`` for the aggregations and ``_es_erasure`` for
tombstones and the erasure log, ``_es_writes`` for upserts and deletes. Behaviour shared with the SQLite backend is pinned by
``tests/index/test_contract.py``; where Elasticsearch needs a decision of its own:

* Writes refresh the indices they touched before returning (``refresh``), so a search right after an
  upsert sees it, as with SQLite. Inside ``bulk_import`` (``voclens ingest``) refresh is off until the
  import ends (see ``_es_bulk``).
* Bulk requests go out on several connections at once (``bulk_threads``) through ``streaming_bulk``.
* Upserts look up where each id lives first: a document whose ``created_at``
  moved to another month is deleted from its old index in the same bulk
  request, so an id is never stored twice.
* Bulk items rejected with 429 or 5xx are retried with exponential backoff;
  what still fails is raised as ``BulkWriteError`` (id -> reason), never dropped.
* Cursors: the first page is a plain search; when there is a next page a
  point in time (PIT) is opened and its id travels in the cursor, so later
  pages see the index as it was (documents written later never appear).
  Every sort pages with ``search_after`` on ``[sort key, id]`` (relevance:
  ``[_score, id]``), so paging has no cap (no ``from`` within the result
  window). Each page extends the PIT by ``pit_keep_alive``; a cursor whose
  PIT expired or was closed raises ``CursorExpired``, never a page from
  another snapshot.
* Trend buckets come from ``date_histogram`` in the query's time zone; the
  bucket list (gaps filled, ranges, limits) is computed by the same code as
  SQLite's so both answer with the same buckets.
* Emerging topics and keywords count in Elasticsearch and rank with ``index.stats`` (signed G²), as SQLite.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from elasticsearch import ApiError, Elasticsearch
from elastic_transport import TransportError

from nlp.analyser import Analyser, get_analyser

from . import _es_analytics as analytics
from . import _es_scores as es_scores
from ._es_bulk import BulkImportMixin, RefreshPause, restore_refresh_left_off
from ._cursor import VERSION, encode_cursor
from ._es_query import build_query, decode_cursor, pack_pit, translate
from ._es_erasure import READ as _READ
from ._es_erasure import ErasureMixin
from ._es_schema import READ_DOCUMENT, SCHEMA_VERSION, Names, document_from_hit, template_body
from ._es_topics import OwnTopicMixin
from ._es_writes import WriteMixin
from ._es_vectors import VectorMixin, by_similarity
from ._request import make_hit, plan_search
from .base import (
    Backend,
    Emerging,
    EmergingQuery,
    Filters,
    KeywordCount,
    MigrationReport,
    SearchQuery,
    SearchResult,
    SortOrder,
    TopicCount,
    TopQuery,
    TrendQuery,
    TrendResult,
)
from .document import Document
from .drivers import DriverStats
from .scoring import ScoreTrendQuery, ScoreTrendResult, metric_for
from .errors import BackendUnavailable, CursorExpired, DocumentNotFound, InvalidQuery, SearchBackendError

log = logging.getLogger(__name__)



def _score(hit: dict, relevance: bool, similarity: bool) -> float | None:
    """A hit's score: None when sorted by date; the cosine for ``similar:`` (scored as cosine + 1)."""
    if not relevance:
        return None
    return round(hit["_score"] - 1.0, 6) if similarity else hit.get("_score")


class ElasticsearchBackend(WriteMixin, BulkImportMixin, VectorMixin, ErasureMixin, OwnTopicMixin, Backend):
    """Documents, search and analytics on an Elasticsearch 8 cluster.

    Args:
        hosts: node URL(s), for example ``["https://es1:9200"]``.
        index_prefix: names start with it (``{prefix}-documents`` is the alias);
            several voclens installations can share a cluster with different prefixes.
        api_key: an Elasticsearch API key (``id:key`` base64, as Kibana shows it).
        basic_auth: ``(user, password)``; use either this or ``api_key``.
        verify_certs: check the server's TLS certificate (keep on in production).
        ca_certs: CA bundle file for a cluster with its own certificate authority.
        analyser: tokeniser for indexing and queries; the shared one by default.
        timeout_ms: time limit of every read request.
        replicas: replica shards per index (0 on a single node).
        shards: primary shards per monthly index (new months; the template holds both).
        refresh: make writes searchable before ``upsert`` returns.
        bulk_retries: attempts for bulk items rejected with 429 or 5xx.
        bulk_threads: bulk requests in flight at once (each on its own connection).
        bulk_chunk_docs: documents per bulk request (also at most 8 MiB).
        fast_import: inside ``bulk_import`` also no fsync per request and no replicas (``RefreshPause``).
        pit_keep_alive: how long a search cursor stays usable after its last page
            (an Elasticsearch time unit: ``"5m"``, ``"1h"``); each page extends it.
        client: an existing client (tests); the other connection arguments are then ignored.

    Raises:
        BackendUnavailable: the cluster cannot be reached, refuses the
            credentials, or is not Elasticsearch 8.

    Example:
        >>> with ElasticsearchBackend(["http://127.0.0.1:9200"]) as backend:  # doctest: +SKIP
        ...     backend.upsert(docs)
        ...     backend.search(SearchQuery(q="物流 -客服"))
    """

    name = "elasticsearch"

    def __init__(
        self,
        hosts: Sequence[str] | str = ("http://127.0.0.1:9200",),
        *,
        index_prefix: str = "voclens",
        api_key: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        verify_certs: bool = True,
        ca_certs: str | None = None,
        analyser: Analyser | None = None,
        timeout_ms: int = 5000,
        replicas: int = 0,
        shards: int = 1,
        refresh: bool = True,
        bulk_retries: int = 5,
        bulk_threads: int = 2,
        bulk_chunk_docs: int = 1000,
        fast_import: bool = False,
        pit_keep_alive: str = "5m",
        client: Elasticsearch | None = None,
        **_ignored,
    ):
        self.analyser = analyser or get_analyser()
        self.timeout_ms = timeout_ms
        self.names = Names(index_prefix)
        self.replicas = replicas
        self.shards = shards
        self.refresh = refresh
        self.bulk_retries = bulk_retries
        self.bulk_threads = bulk_threads
        self.bulk_chunk_docs = bulk_chunk_docs
        self.fast_import = fast_import  # see RefreshPause: no fsync per request, no replicas, during bulk_import
        self._pause: RefreshPause | None = None  # inside bulk_import
        self._unrefreshed: dict[str, str] = {}  # id -> index, written inside bulk_import since the last refresh
        self.pit_keep_alive = pit_keep_alive
        self._closed = False
        self._lock = threading.Lock()
        self._known_indices: set[str] = set()
        if isinstance(hosts, str):
            hosts = [h.strip() for h in hosts.split(",") if h.strip()]
        self.hosts = list(hosts)
        if client is None:
            options: dict = {
                "request_timeout": max(timeout_ms, 1000) / 1000,
                "retry_on_status": (429, 502, 503, 504),
                "max_retries": 2,
            }
            if api_key:
                options["api_key"] = api_key
            if basic_auth:
                options["basic_auth"] = tuple(basic_auth)
            if any(h.startswith("https") for h in self.hosts):
                options["verify_certs"] = verify_certs
                if ca_certs:
                    options["ca_certs"] = ca_certs
            client = Elasticsearch(self.hosts, **options)
        self.es = client
        try:
            # GET / is not in every distribution (the minimal one lacks rest-root): ask the nodes
            nodes = self.es.nodes.info(filter_path="nodes.*.version")
        except (ApiError, TransportError) as exc:
            raise BackendUnavailable(f"cannot open Elasticsearch at {', '.join(self.hosts)}: {translate(exc, 'connect')}") from exc
        versions = sorted({n["version"] for n in nodes.get("nodes", {}).values()})
        self.server_version = versions[0] if versions else "unknown"
        if not self.server_version.startswith("8."):
            raise BackendUnavailable(f"Elasticsearch {self.server_version} is not supported; voclens needs 8.x")
        self.ensure_template()
        self._call("refresh check", restore_refresh_left_off, self.es, self.names.all_versions, self.replicas)

    @staticmethod
    def options_from(settings) -> dict:
        """Constructor arguments from the ``elasticsearch_*`` settings (secrets unwrapped here only)."""
        password = settings.elasticsearch_password.get_secret_value() if settings.elasticsearch_password else ""
        return {
            "hosts": list(settings.elasticsearch_urls),
            "index_prefix": settings.elasticsearch_index_prefix,
            "api_key": settings.elasticsearch_api_key.get_secret_value() if settings.elasticsearch_api_key else None,
            "basic_auth": (settings.elasticsearch_username, password) if settings.elasticsearch_username else None,
            "verify_certs": settings.elasticsearch_verify_certs,
            "ca_certs": str(settings.elasticsearch_ca_file) if settings.elasticsearch_ca_file else None,
            "replicas": settings.elasticsearch_replicas, "shards": settings.elasticsearch_shards,
            "bulk_threads": settings.elasticsearch_bulk_threads,
            "fast_import": settings.elasticsearch_fast_import,
            "pit_keep_alive": settings.elasticsearch_pit_keep_alive,
        }

    @classmethod
    def hosts_from(cls, settings) -> list[str]:
        """The host names of ``settings.elasticsearch_urls``."""
        return [urlsplit(u).hostname or "" for u in settings.elasticsearch_urls]

    @classmethod
    def from_settings(cls, settings, analyser: Analyser | None = None) -> ElasticsearchBackend:
        """The cluster of the ``elasticsearch_*`` settings, reads limited to ``settings.query_timeout_ms``."""
        return cls(**cls.options_from(settings), analyser=analyser, timeout_ms=settings.query_timeout_ms)

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.es.close()

    def _check_open(self) -> None:
        if self._closed:
            raise BackendUnavailable("the Elasticsearch backend is closed")

    def _call(self, what: str, fn, *args, **kwargs):
        """Run one client call; client exceptions become ``index.errors`` classes."""
        self._check_open()
        try:
            return fn(*args, **kwargs)
        except (ApiError, TransportError) as exc:
            raise translate(exc, what) from exc

    def ensure_template(self) -> bool:
        """Install the index template of the current schema if missing or if its shards or replicas
        differ from this backend's; True when installed now.

        A changed shard count applies to months created from now on (an index's
        shards are fixed); a changed replica count also to the existing indices.
        """
        es = self.es
        body = template_body(self.names, shards=self.shards, replicas=self.replicas)
        want = {k: str(body["template"]["settings"][k]) for k in ("number_of_shards", "number_of_replicas")}
        if self._call("template lookup", es.indices.exists_index_template, name=self.names.template):
            found = self._call("template lookup", es.indices.get_index_template, name=self.names.template)
            have = found["index_templates"][0]["index_template"].get("template", {}).get("settings", {}).get("index", {})
            if {k: str(have.get(k)) for k in want} == want:
                return False
            if have.get("number_of_replicas") is not None and str(have["number_of_replicas"]) != want["number_of_replicas"]:
                self._call("replicas", es.indices.put_settings, index=self.names.pattern, allow_no_indices=True,
                           settings={"index": {"number_of_replicas": self.replicas}})
        self._call("template install", es.indices.put_index_template, name=self.names.template, **body)
        return True

    def indices(self) -> list[str]:
        """Concrete indices behind the alias, oldest month first."""
        try:
            resp = self._call("alias lookup", self.es.indices.get_alias, name=self.names.alias, **_READ)
        except SearchBackendError as exc:
            if "404" in str(exc):  # no index yet
                return []
            raise
        return sorted(resp.body)

    # -- helpers (``_query``, which resolves ``similar:``, is ``_es_vectors``') ---------------
    def _search(self, what: str, **body):
        if "pit" not in body:
            body = {"index": self.names.alias, **_READ, **body}
        return self._call(what, self.es.search, **body).body

    # -- reads -----------------------------------------------------------------------
    def get(self, doc_id: str) -> Document:
        resp = self._search("get", query={"ids": {"values": [doc_id]}}, size=1, **READ_DOCUMENT)
        hits = resp["hits"]["hits"]
        if not hits:
            raise DocumentNotFound(doc_id)
        return document_from_hit(hits[0])

    def count(self, q: str = "", filters: Filters | None = None) -> int:
        query, _ = self._query(q, filters)
        return self._call("count", self.es.count, index=self.names.alias, query=query, **_READ)["count"]

    def iter_documents(self, batch_size: int = 500, after_id: str | None = None) -> Iterator[list[Document]]:
        after = [after_id] if after_id else None
        while True:
            extra = {"search_after": after} if after else {}
            resp = self._search("scan", query={"match_all": {}}, size=batch_size, sort=[{"id": "asc"}],
                                track_total_hits=False, **READ_DOCUMENT, **extra)
            hits = resp["hits"]["hits"]
            if not hits:
                return
            yield [document_from_hit(h) for h in hits]
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]

    def search(self, query: SearchQuery) -> SearchResult:
        plan = plan_search(query, self.analyser, self.known_topics)
        relevance = plan.relevance
        cursor = decode_cursor(query.cursor, plan.fingerprint, relevance) if query.cursor else None
        parsed = self._resolve(plan.parsed, plan.filters, pit=cursor["pit"] if cursor else None)
        es_query = build_query(parsed, plan.filters)
        similarity = relevance and parsed.neighbours is not None
        if similarity:  # ranked by the cosine, which by_similarity puts in the score plus 1
            es_query = by_similarity(es_query, parsed.neighbours)
        if relevance:
            sort = [{"_score": "desc"}, {"id": "asc"}]
        else:
            direction = "desc" if plan.sort is SortOrder.newest else "asc"
            sort = [{"created_at": direction}, {"id": direction}]
        body: dict = {"query": es_query, "sort": sort, "size": query.limit + 1, "source": ["doc"],
                      "track_total_hits": True, "timeout": f"{self.timeout_ms}ms"}
        if relevance and not similarity:
            body["search_type"] = "dfs_query_then_fetch"
        if cursor:
            body["pit"] = {"id": cursor["pit"], "keep_alive": self.pit_keep_alive}
            body["search_after"] = cursor["k"]
        try:
            resp = self._search("search", **body)
        except SearchBackendError as exc:
            if cursor and ("search_context_missing" in str(exc) or " 404 " in str(exc)):
                raise CursorExpired(
                    f"cursor expired (no use for {self.pit_keep_alive}); start again from the first page") from None
            if cursor and isinstance(exc, InvalidQuery):
                raise InvalidQuery("invalid or expired cursor; start again from the first page", field="cursor") from None
            raise
        hits_raw = resp["hits"]["hits"]
        total = resp["hits"]["total"]["value"]
        more = len(hits_raw) > query.limit
        hits_raw = hits_raw[: query.limit]
        next_cursor = None
        if more:
            if cursor:
                pit = resp.get("pit_id") or cursor["pit"]
            else:
                pit = self._call("open point in time", self.es.open_point_in_time, index=self.names.alias,
                                 keep_alive=self.pit_keep_alive)["id"]
            state = {"v": VERSION, "f": plan.fingerprint, "S": pack_pit(pit), "k": hits_raw[-1]["sort"][:2]}
            next_cursor = encode_cursor(state)
        elif cursor:  # the last page: free the point in time now rather than at its keep-alive
            try:
                self.es.close_point_in_time(id=resp.get("pit_id") or cursor["pit"])
            except (ApiError, TransportError):
                pass  # it expires by itself
        tokens = plan.parsed.highlight_tokens() if query.highlight else frozenset()
        hits = [make_hit(Document.model_validate(h["_source"]["doc"]), _score(h, relevance, similarity), tokens,
                         self.analyser) for h in hits_raw]
        return SearchResult(total=total, hits=hits, next_cursor=next_cursor)

    # -- analytics (``_es_analytics``) ---------------------------------------------------
    def trends(self, query: TrendQuery) -> TrendResult:
        es_query, filters = self._query(query.q, query.filters)
        return analytics.trends(self._search, es_query, filters, query, self.timeout_ms)

    def top_topics(self, query: TopQuery) -> list[TopicCount]:
        return analytics.top_topics(self._search, self._query(query.q, query.filters)[0], query)

    def top_keywords(self, query: TopQuery) -> list[KeywordCount]:
        return analytics.top_keywords(self._search, self._query(query.q, query.filters)[0], query)

    def emerging_topics(self, query: EmergingQuery) -> list[Emerging]:
        return analytics.emerging_topics(self._search, self._query(query.q, query.filters)[0], query)

    def emerging_keywords(self, query: EmergingQuery) -> list[Emerging]:
        return analytics.emerging_keywords(self._search, self._query(query.q, query.filters)[0], query)

    # -- operations ------------------------------------------------------------------
    # -- scores (``_es_scores``) ----------------------------------------------------------
    def score_trends(self, query: ScoreTrendQuery) -> ScoreTrendResult:
        es_query, filters = self._query(query.q, query.filters)
        return es_scores.score_trends(self._search, es_query, filters, query, self.timeout_ms)

    def driver_stats(self, metric: str, q: str = "", filters: Filters | None = None) -> DriverStats:
        return es_scores.driver_stats(self._search, self._query(q, filters)[0], metric_for(metric))

    def health(self) -> dict:
        cluster = self._call("cluster health", self.es.cluster.health)
        documents = self.count()
        vectors = self._call("count", self.es.count, index=self.names.alias, query={"exists": {"field": "vector"}},
                             **_READ)["count"]  # fmt: skip
        return {
            "backend": self.name,
            "status": "ok" if cluster["status"] in ("green", "yellow") else "degraded",
            "cluster_status": cluster["status"],
            "documents": documents,
            "vectors": vectors,
            "hosts": self.hosts,
            "alias": self.names.alias,
            "indices": self.indices(),
            "schema_version": SCHEMA_VERSION,
            "elasticsearch_version": self.server_version,
        }

    def migrate(self, progress=None, batch_size: int = 1000) -> MigrationReport:
        """Move documents of older-schema indices into the current schema's indices.

        The current template is (re)installed, then every document found in an
        index of another schema version is upserted again: ``upsert`` writes it
        to its current-schema month and deletes the old copy in the same bulk
        request, so it is never missing from, nor doubled behind, the alias.
        Emptied old indices are deleted. Safe to interrupt and run again.

        Returns:
            How many documents moved, the old indices dropped and the indices now behind the alias.
        """
        self._call("template install", self.es.indices.put_index_template, name=self.names.template,
                   **template_body(self.names, replicas=self.replicas))
        current = f"{self.names.alias}-v{self.names.version}-"
        old = [i for i in self.indices() if not i.startswith(current)]
        moved = 0
        for index in old:
            after: list | None = None
            while True:
                extra = {"search_after": after} if after else {}
                resp = self._call("migrate scan", self.es.search, index=index, query={"match_all": {}}, size=batch_size,
                                  sort=[{"id": "asc"}], track_total_hits=False, **READ_DOCUMENT, **extra).body
                hits = resp["hits"]["hits"]
                if not hits:
                    break
                self.upsert([document_from_hit(h) for h in hits])
                moved += len(hits)
                if progress is not None:
                    progress(len(hits))
                after = hits[-1]["sort"]
            self._call("refresh", self.es.indices.refresh, index=index)
            left = self._call("count", self.es.count, index=index)["count"]
            if left:
                raise SearchBackendError(f"{left} document(s) still in {index} after migration; run migrate again")
            self._call("drop old index", self.es.indices.delete, index=index)
        indices = self.indices()
        return MigrationReport(schema_version=SCHEMA_VERSION, moved=moved, dropped=old, indices=indices,
                               summary=f"moved {moved} document(s); dropped {len(old)} old index(es); "
                                       f"indices: {', '.join(indices) or '-'}")

    def drop_all(self) -> None:
        """Delete every index and template of this prefix (tests, ``index copy --replace``)."""
        self._call("drop indices", self.es.indices.delete,
                   index=f"{self.names.all_versions},{self.names.erased},{self.names.erasure_log},{self._own_index}", **_READ)
        self._known_indices.clear()
        try:
            templates = self.es.indices.get_index_template(name=f"{self.names.prefix}-documents-v*")
        except ApiError:  # none
            return
        for t in templates.get("index_templates", []):
            self._call("drop template", self.es.indices.delete_index_template, name=t["name"])


__all__ = ["ElasticsearchBackend"]
