"""The one settings object: environment variables ``VOCLENS_*`` over an optional TOML file.

Only the application edge (CLI and API) reads it; ``nlp`` and ``index`` get
explicit constructor arguments, so they stay usable as libraries and in tests.

Precedence, highest first: keyword arguments (tests), ``VOCLENS_*`` environment
variables, the TOML file (``VOCLENS_CONFIG`` or ``./voclens.toml``), defaults.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from index.base import MAX_PAGE_SIZE, MAX_QUERY_CHARS
from index.registry import backend_names, unknown_backend_message
from nlp.privacy import DEFAULT_AUTHOR_SALT, is_default_salt

Scope = Literal["read", "write"]


def hash_api_key(key: str) -> str:
    """``sha256:<hex>`` of an API key; only this form is ever stored in settings."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class ApiKey(BaseModel):
    """A configured API key: its hash, never the key itself, and what it may do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    scopes: tuple[Scope, ...] = ("read",)

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.hash, hash_api_key(key))


class Settings(BaseSettings):
    """Everything an operator can configure. See docs/configuration.md for a table."""

    model_config = SettingsConfigDict(
        env_prefix="VOCLENS_",
        extra="forbid",
        env_nested_delimiter="__",
        validate_default=True,
    )

    data_dir: Path = Field(default=Path("./voclens-data"), description="Where the SQLite index and side files live.")
    backend: str = Field(default=backend_names()[0], json_schema_extra={"enum": list(backend_names())}, description="Search backend: the embedded SQLite FTS5 default, or 'elasticsearch'.")
    sqlite_file: str = Field(default="voclens.db", description="File name of the SQLite index inside data_dir.")
    elasticsearch_urls: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["http://127.0.0.1:9200"], description="Elasticsearch node URL(s), comma-separated in the environment.")
    elasticsearch_api_key: SecretStr | None = Field(default=None, description="Elasticsearch API key (the base64 'id:key' form); or use username and password.")
    elasticsearch_username: str | None = Field(default=None, description="Elasticsearch user for basic auth.")
    elasticsearch_password: SecretStr | None = Field(default=None, description="Password of elasticsearch_username.")
    elasticsearch_verify_certs: bool = Field(default=True, description="Check the cluster's TLS certificate (https URLs); keep on in production.")
    elasticsearch_ca_file: Path | None = Field(default=None, description="CA bundle for a cluster whose certificate comes from its own authority.")
    elasticsearch_index_prefix: str = Field(default="voclens", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$", description="Index names start with it ('{prefix}-documents' is the alias); lets several installations share a cluster.")
    elasticsearch_replicas: int = Field(default=0, ge=0, le=5, description="Replica shards per index; 0 on a single node, 1 or more on a cluster.")
    elasticsearch_shards: int = Field(default=1, ge=1, le=64, description="Primary shards per monthly index (the index template; months created from now on). One shard per ~20-40 GB of a month.")
    elasticsearch_bulk_threads: int = Field(default=2, ge=1, le=16, description="Bulk write requests sent at once, each on its own connection (imports, workers).")
    elasticsearch_fast_import: bool = Field(default=False, description="During `voclens ingest`, also skip the translog fsync per request and the replicas (restored after): faster, but a node lost mid-import can lose its last seconds of writes; then import again without resuming.")
    elasticsearch_pit_keep_alive: str = Field(default="5m", pattern=r"^[1-9][0-9]{0,5}(ms|s|m|h|d)$", description="How long a search cursor stays usable after its last page (Elasticsearch point-in-time keep-alive: '5m', '1h'); an older cursor answers 'cursor expired, start again'.")
    model: str = Field(default="lite", description="Classifier used by ingest, classify, reclassify and the demo: 'lite' (e5-small's first 4 layers distilled from the 12-layer model; 3x faster, better on Chinese, weaker on English sentiment), 'transformer' (the 12-layer fine-tuned e5-small) or 'fast' (lexicon baseline).")
    model_dir: Path | None = Field(default=None, description="Trained transformer model folder (for 'transformer' or 'lite'); unset = the one shipped in nlp/weights.")
    model_runtime: Literal["auto", "onnx-int8", "onnx-fp32", "torch", "torch-int8"] = Field(default="auto", description="Transformer runtime; 'auto' takes the one the model's eval chose (the fastest ONNX Runtime variant within half a point of torch).")
    model_cache_dir: Path = Field(default=Path("~/.cache/voclens"), description="Where the base encoder and the ONNX file are built once (about 600 MB).")
    model_threads: int | None = Field(default=None, ge=1, le=256, description="CPU threads for inference; unset = the runtime's default (all cores).")
    user_terms: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Brand and product terms the Chinese tokeniser keeps whole.")
    user_dict: Path | None = Field(default=None, description="Optional jieba user dictionary file.")
    author_salt: str = Field(default=DEFAULT_AUTHOR_SALT, min_length=8, description="Secret key for hashing author handles and ids; set your own: `voclens serve` and `voclens crawl` refuse the default on a non-loopback address or in production.")
    env: Literal["development", "test", "staging", "production"] = Field(default="development", description="Deployment kind; 'production' makes `voclens serve` and `voclens crawl` refuse to start with the default author_salt.")
    api_keys: list[ApiKey] = Field(default_factory=list, description="Hashed API keys; when any is set every data endpoint requires one.")
    host: str = Field(default="127.0.0.1", description="Address `voclens serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `voclens serve` listens on.")
    export_link_ttl_s: int = Field(default=60, ge=1, le=3600, description="How long a signed export link (POST /search/export/links) stays usable; each link downloads once.")
    max_page_size: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE, description="Largest `limit` accepted by /search.")
    max_query_chars: int = Field(default=500, ge=10, le=MAX_QUERY_CHARS, description="Longest `q` accepted.")
    max_batch_size: int = Field(default=1000, ge=1, le=10000, description="Most documents in one POST /documents.")
    query_timeout_ms: int = Field(default=5000, ge=100, description="Time limit of one backend query.")
    rate_limit: str | None = Field(default="240/minute", description="Requests allowed per API key (per client address when no keys are set or none is sent), in the `limits` notation: '240/minute', '20/second;1000/hour'; unset = no limit. Past it: 429 with Retry-After.")
    auth_failure_limit: str | None = Field(default="10/minute", description="Failed API key attempts allowed per client address (unset = no limit); past it every request from there that presents a key gets 429 with Retry-After, before the key is checked.")
    rate_limit_storage_url: str = Field(default="memory://", description="Where the rate-limit counters (and spent export links) live: 'memory://' (per API process) or 'redis://host:6379/0' (shared by several processes).")
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, le=1024**3, description="Largest request body accepted (413 beyond).")
    max_url_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024, description="Longest URL (path and query string) accepted (414 beyond).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level of `voclens serve` (CLI commands log warnings unless -v).")
    log_format: Literal["text", "json"] = Field(default="text", description="'json' writes one JSON object per log line.")
    # -- digests and alerts (issue 6): subscriptions, SMTP, webhooks, the scheduler ----------------
    state_db_url: str | None = Field(default=None, description="SQLAlchemy URL of the subscription state database; unset = sqlite:///<data_dir>/state.db. PostgreSQL: postgresql+psycopg://user:pass@host/db.")
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail digests; unset = e-mail deliveries fail with a clear error.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port (25, 587 with STARTTLS, 465 with smtp_ssl).")
    smtp_user: str | None = Field(default=None, description="SMTP login; unset = no authentication.")
    smtp_password: SecretStr | None = Field(default=None, description="Password of smtp_user; never shown by the API.")
    smtp_from: str = Field(default="voclens@localhost", description="From address of digest e-mails.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS before logging in.")
    smtp_ssl: bool = Field(default=False, description="Connect to the SMTP server over TLS from the start (port 465).")
    smtp_timeout_s: float = Field(default=30.0, gt=0, le=300, description="Time limit of one SMTP conversation.")
    webhook_allow_private: bool = Field(default=False, description="Let webhooks target loopback, link-local (169.254.169.254) and private addresses; off, they are refused when saved and, after resolving the host, before every send.")
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Host names webhooks may target (comma-separated; '*.example.com' matches subdomains); empty = any host.")
    webhook_signing_secret: SecretStr | None = Field(default=None, description="Key of the X-Voclens-Signature HMAC on every webhook; a subscription may set its own. Never shown by the API.")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120, description="Time limit of one webhook request.")
    digest_scheduler: bool = Field(default=False, description="Run due digests and alerts inside `voclens serve` (otherwise use `voclens digests run` from cron).")
    digest_poll_s: float = Field(default=60.0, gt=0, le=3600, description="How often the in-process scheduler looks for due work.")
    digest_failure_threshold: int = Field(default=5, ge=1, le=100, description="Consecutive failed attempts after which a subscription is paused and reported.")
    digest_retry_base_s: float = Field(default=60.0, gt=0, le=86400, description="First retry delay after a failed delivery; doubles per attempt up to 6 hours.")
    digest_lease_s: float = Field(default=600.0, ge=1, le=86400, description="How long a delivery being sent is reserved; one left 'sending' longer (a crashed runner) is sent again with the same idempotency key.")
    public_base_url: str | None = Field(default=None, description="Public URL of this voclens API, used for links in digests to documents without a source URL.")

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in backend_names():  # the registry (index.registry) is the one list of backends
            raise ValueError(unknown_backend_message(value))
        return value

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate like '1200/minute' or '20/second;1000/hour'") from None
        return value.strip()

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value):
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [h.strip().lower() for h in value.split(",") if h.strip()]
        return value

    @property
    def state_url(self) -> str:
        """The state database URL, defaulting to ``state.db`` in the data directory."""
        return self.state_db_url or f"sqlite:///{self.data_dir / 'state.db'}"
    # -- end of digests and alerts -------------------------------------------------------------
    # -- crawling (issue 5): defaults `voclens crawl` maps onto Scrapy settings (crawlers/settings.py) --
    crawl_user_agent: str = Field(default="voclens/0.1 (+https://github.com/voclens/voclens)", min_length=1, max_length=300, description="User agent of the crawlers; name your deployment and a contact URL.")
    crawl_proxy: str | None = Field(default=None, pattern=r"^https?://", description="Proxy URL for every crawl request (http://user:pass@host:port); unset = direct (http_proxy/https_proxy env vars still apply).")
    crawl_concurrency_per_domain: int = Field(default=2, ge=1, le=64, description="Most simultaneous requests to one site.")
    crawl_download_delay: float = Field(default=1.0, ge=0, le=600, description="Seconds between requests to one site (AutoThrottle adapts from there).")
    crawl_batch_size: int = Field(default=100, ge=1, le=10000, description="Crawled documents per enrich-and-write batch.")
    crawl_near_duplicates: Literal["mark", "drop"] = Field(default="mark", description="Near-duplicate (copy-pasted) reviews: 'mark' stores them with meta.duplicate_of, 'drop' skips them.")
    # -- crawl scale-out (issue 5, scrapy-redis): workers on several machines share one crawl --
    crawl_redis_url: str | None = Field(default=None, pattern=r"^(rediss?|unix)://", description="Redis shared by crawl workers (redis://host:6379/0): one request queue and seen-requests filter for every worker; unset = each crawl runs alone.")
    # -- classification workers on a queue (issue 21): `voclens worker`, `ingest --queue`, `crawl --queue` --
    queue_redis_url: str | None = Field(default=None, pattern=r"^(rediss?|unix)://", description="Redis holding the queue of documents to classify (redis://host:6379/0); unset = crawl_redis_url.")
    queue_stream: str = Field(default="voclens:documents", pattern=r"^[A-Za-z0-9:_.-]{1,100}$", description="Redis stream key of the queue (dead letters go to '<key>:dead').")
    worker_batch_size: int = Field(default=256, ge=1, le=10_000, description="Documents a worker classifies and writes together.")
    worker_claim_idle_s: float = Field(default=60.0, ge=0.1, le=86_400, description="A batch pending this long on a worker that stopped is taken over by another; keep it above the slowest batch.")
    # -- crawl health (issue 24): a crawl fails when a share passes its threshold (crawlers/health.py) --
    crawl_health_max_rejected_share: float = Field(default=0.5, ge=0, le=1, description="A crawl fails when more than this share of its items is rejected as invalid (1 = never); judged from crawl_health_min_items items.")
    crawl_health_max_failed_share: float = Field(default=0.5, ge=0, le=1, description="A crawl fails when more than this share of the pages it asked for failed after the retries or was refused by robots.txt (1 = never).")
    crawl_health_max_item_less_share: float = Field(default=0.8, ge=0, le=1, description="A crawl fails when more than this share of its fetched pages held no item, none yielded and none skipped as already known or older than since (1 = never).")
    crawl_health_min_items: int = Field(default=5, ge=1, le=1_000_000, description="Fewest items a crawl must see before its rejected share is judged.")
    crawl_health_min_pages: int = Field(default=1, ge=1, le=1_000_000, description="Fewest pages a crawl must ask for before its failed and item-less shares are judged.")
    crawl_alert_email_to: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Who gets an e-mail when a scheduled crawl fails (comma-separated; sent through smtp_host).")
    crawl_alert_webhook_url: str | None = Field(default=None, pattern=r"^https?://", description="Webhook that gets a POST when a scheduled crawl fails (signed and checked like digest webhooks).")
    crawl_alert_webhook_format: Literal["json", "slack", "feishu", "dingtalk", "wecom"] = Field(default="json", description="Body of the crawl alert webhook: generic JSON or a chat platform's message.")

    @field_validator("crawl_alert_email_to", mode="before")
    @classmethod
    def _split_recipients(cls, value):
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [a.strip() for a in value.split(",") if a.strip()]
        return value

    @field_validator("crawl_alert_email_to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if a.count("@") != 1 or any(c in a for c in " <>,;")]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return value

    @field_validator("elasticsearch_urls", mode="before")
    @classmethod
    def _split_urls(cls, value):
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [u.strip() for u in value.split(",") if u.strip()]
        return value

    @field_validator("user_terms", mode="before")
    @classmethod
    def _split_terms(cls, value):
        # VOCLENS_USER_TERMS="戴森,小米13" is friendlier than a JSON list.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / self.sqlite_file

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("VOCLENS_CONFIG", "voclens.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        elif "VOCLENS_CONFIG" in os.environ:
            raise FileNotFoundError(f"VOCLENS_CONFIG points to {toml_path}, which does not exist")
        return tuple(sources)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses; a name or ``0.0.0.0`` may reach other machines."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_salt_refusal(settings: Settings, command: str, hosts: Iterable[str] = ()) -> str | None:
    """Why ``command`` must not start with the shipped author salt, or None when it may.

    With the default salt every installation hashes a handle to the same value,
    so hashes stop protecting anyone once data leaves this machine: refuse in
    production and wherever ``hosts`` (a listen address, a shared Redis or
    Elasticsearch) is not loopback.
    """
    if not is_default_salt(settings.author_salt):
        return None
    if settings.env == "production":
        why = "VOCLENS_ENV is production"
    else:
        remote = [h for h in hosts if h and not is_loopback(h)]
        if not remote:
            return None
        why = f"{remote[0]} is not a loopback address"
    return (f"refusing to start `voclens {command}`: {why} and the author salt is the default, so author "
            "hashes would match every other installation's. Set a secret of your own, e.g. "
            "export VOCLENS_AUTHOR_SALT=\"$(python -c 'import secrets; print(secrets.token_hex(32))')\" "
            "(or author_salt in voclens.toml), and keep it: changing it changes every author hash.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests override the API dependency instead of mutating this."""
    return Settings()
