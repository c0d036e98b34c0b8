"""``voclens crawl``: run a Scrapy spider into the configured index and print the crawl's stats.

The command maps voclens settings (``crawl_*``, backend, model, salt) and its
options onto Scrapy settings, runs one spider in this process, and ends
with a summary: items seen, new, updated, duplicates, invalid, errors by type.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawlers.errors import CrawlerError
from index.registry import backend_class

from ..crawl_alert import alert_if_failed, channels
from ._common import err, fail, load_settings, out, progress_forced, require_own_salt

# Scrapy (and what imports it: api.crawl, crawlers.distributed, crawlers.report) is imported inside
# the functions below: a third of a second that every other voclens command would pay at start-up.

EXIT_INTERRUPTED = 130


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{option} {value!r}: use KEY=VALUE")
        pairs[key.strip()] = val
    return pairs


def _spider_classes() -> dict[str, type]:
    from scrapy.settings import Settings as ScrapySettings
    from scrapy.spiderloader import SpiderLoader

    settings = ScrapySettings()
    settings.setmodule("crawlers.settings", priority="project")
    loader = SpiderLoader.from_settings(settings)
    return {name: loader.load(name) for name in sorted(loader.list())}


def _print_list(spiders: dict[str, type]) -> None:
    for name, cls in spiders.items():
        out.print(f"[bold]{name}[/bold]: {cls.description}")
        for arg, kind, help_ in cls.describe_args():
            out.print(f"    -a {arg}=...  ({kind}) {help_}", highlight=False, markup=False)
        out.print()
    out.print("Example: voclens crawl jd -a products=100012043978 -a since=2026-11-01", highlight=False)


def _print_summary(summary) -> None:
    table = Table(title=f"crawl {summary.spider}: {summary.finish_reason}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (("pages", summary.pages), ("items seen", summary.items_seen), ("new", summary.new),
                         ("updated", summary.updated), ("refused (erased)", summary.erased),
                         ("duplicates (exact)", summary.duplicates_exact),
                         ("duplicates (near)", summary.duplicates_near), ("invalid", summary.invalid),
                         ("retries", summary.retries), ("robots.txt forbidden", summary.robots_forbidden),
                         ("incremental stops", summary.incremental_stops)):
        table.add_row(label, str(value))
    if summary.queued:
        table.add_row("queued for workers", str(summary.queued))
    for field, n in sorted(summary.invalid_by_field.items()):
        table.add_row(f"  invalid {field}", str(n))
    for kind, n in sorted(summary.errors.items()):
        table.add_row(f"error {kind}", str(n))
    for check, c in (summary.health or {}).items():
        if isinstance(c, dict):
            table.add_row(f"{check.replace('_', ' ').replace('item less', 'item-less')} (max {c['threshold']:.0%})", "-" if c["share"] is None else f"{c['share']:.0%}")
    table.add_row("seconds", f"{summary.elapsed_s:.1f}")
    out.print(table)


def _shared_hosts(settings, redis_url: str | None) -> list[str]:
    """Hosts a crawl writes to or shares work through: other machines see its author hashes there."""
    urls = [redis_url or settings.crawl_redis_url or ""]
    hosts = [urlsplit(u).hostname or "" for u in urls if u and not u.startswith("unix://")]
    return hosts + backend_class(settings.backend).hosts_from(settings)


def crawl(
    spider: Annotated[str | None, typer.Argument(help="Spider to run (see --list): jd, amazon, schemaorg, feeds...")] = None,
    arg: Annotated[list[str], typer.Option("-a", "--arg", help="Spider argument KEY=VALUE (repeatable), e.g. -a products=100012043978 -a since=2026-11-01.")] = [],  # noqa: B006
    list_spiders: Annotated[bool, typer.Option("--list", help="Describe every spider and its arguments, then exit.")] = False,
    jobdir: Annotated[Path | None, typer.Option(help="Folder that makes the crawl resumable: stop with one Ctrl-C, run the same command to continue.")] = None,
    classify: Annotated[bool, typer.Option("--classify/--no-classify", help="Classify items with the configured model (off: language and keywords only).")] = True,
    model: Annotated[str | None, typer.Option(help="Model to classify with (default: settings).")] = None,
    setting: Annotated[list[str], typer.Option("-s", "--set", help="Scrapy setting KEY=VALUE (repeatable), e.g. -s DOWNLOAD_DELAY=5.")] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="Print the crawl stats as JSON.")] = False,
    redis_url: Annotated[str | None, typer.Option(help="Share this crawl with other workers through Redis (redis://host:6379/0); run the same command on every machine. Default: VOCLENS_CRAWL_REDIS_URL.")] = None,
    redis_run: Annotated[str | None, typer.Option(help="Name of the shared run (default: derived from the spider and its arguments, so identical commands join one run).")] = None,
    queue: Annotated[bool, typer.Option("--queue", help="Publish crawled documents to the classification queue (queue_redis_url) for `voclens worker` instead of classifying and writing them here.")] = False,
    alert: Annotated[bool | None, typer.Option("--alert/--no-alert", help="Alert crawl_alert_email_to / crawl_alert_webhook_url when the crawl fails (default: only when run without a terminal, as from cron).")] = None,
) -> None:
    """Crawl a source into the index: reviews and posts are normalised, de-duplicated, classified and written.

    Obeys robots.txt, throttles itself and backs off on 429/5xx. A second crawl
    of the same product or feed stops paging at items it already has; an
    interrupted crawl with --jobdir resumes where it stopped. A crawl that rejects most
    items, gets no items from its pages or fails most requests ends "failed: <why>" and exits 1.
    """
    spiders = _spider_classes()
    if list_spiders:
        _print_list(spiders)
        return
    if not spider:
        raise typer.BadParameter("name a spider (voclens crawl --list shows them)", param_hint="SPIDER")
    if spider not in spiders:
        raise typer.BadParameter(f"no spider {spider!r}; known: {', '.join(spiders)}", param_hint="SPIDER")
    settings = load_settings()
    args = _pairs(arg, "-a")
    try:
        spiders[spider].validate_args(args)
    except CrawlerError as exc:
        fail(exc)
    overrides = _pairs(setting, "--set")
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise typer.BadParameter(f"{redis_url!r}: use redis://host:port/db", param_hint="--redis-url")
    hosts = _shared_hosts(settings, redis_url)
    if queue:
        from ..crawl import queue_url

        try:
            hosts += _shared_hosts(settings, queue_url(settings))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--queue") from None
    require_own_salt(settings, "crawl", hosts)

    if alert and not channels(settings):
        raise typer.BadParameter("set crawl_alert_email_to or crawl_alert_webhook_url to alert", param_hint="--alert")
    from crawlers.distributed import run_key

    summary = run_crawl(spiders[spider], args, settings, classify=classify, model=model, jobdir=jobdir,
                        overrides=overrides, progress=not as_json, redis_url=redis_url,
                        redis_run=redis_run or run_key(spider, args), queue=queue)
    sent = alert_if_failed(settings, summary, spider, args, alert)
    if as_json:
        out.print_json(json.dumps({**summary.as_dict(), "alert": sent and sent.as_dict()}, ensure_ascii=False))
    else:
        _print_summary(summary)
    for failure in sent.failed if sent else []:
        err.print(f"crawl alert by {failure['channel']} not sent: {failure['error']}", highlight=False, markup=False)
    if summary.finish_reason == "shutdown":
        err.print("interrupted: run the same command again to continue" + ("" if jobdir else " (add --jobdir to resume exactly)"))
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.finish_reason != "finished":
        raise typer.Exit(1)


def run_crawl(spidercls, args: dict[str, str], settings, *, classify: bool = True, model: str | None = None,
              jobdir: Path | None = None, overrides: dict | None = None, progress: bool = True,
              redis_url: str | None = None, redis_run: str = "default", queue: bool = False):
    """Run one spider to the end in this process (Twisted's reactor runs once per process)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawlers.report import summarise

    from ..crawl import scrapy_settings

    level = logging.getLogger().level
    process = CrawlerProcess(scrapy_settings(settings, classify=classify, model=model, jobdir=jobdir,
                                             overrides=overrides, redis_url=redis_url,
                                             redis_run=redis_run, queue=queue), install_root_handler=False)
    # Scrapy resets the root level and pins its own loggers at DEBUG; voclens logging decides (-v for debug).
    logging.getLogger().setLevel(level)
    logging.getLogger("scrapy").setLevel(level)
    crawler = process.create_crawler(spidercls)
    show = progress and (sys.stderr.isatty() or progress_forced())
    with Progress(SpinnerColumn(), TextColumn("crawl {task.description}: {task.fields[pages]} pages, "
                                              "{task.completed:.0f} items"), TimeElapsedColumn(),
                  console=err, disable=not show) as bar:
        task = bar.add_task(spidercls.name, total=None, pages=0)
        crawler.signals.connect(lambda **_: bar.advance(task), signal=signals.item_scraped, weak=False)
        crawler.signals.connect(
            lambda **_: bar.update(task, pages=bar.tasks[0].fields["pages"] + 1),
            signal=signals.response_received, weak=False)
        process.crawl(crawler, **args)
        process.start()
    return summarise(spidercls.name, crawler.stats.get_stats())
