"""Spider contracts (``scrapy check``) that run against any copy of a site, and check values, not just keys.

Scrapy's ``@url`` takes a fixed URL, so a contract could only ever check the
live site; tests serve fixture pages on a random loopback port. ``@site
PATH`` joins PATH to the ``CONTRACT_SITE_URL`` Scrapy setting (``scrapy check
-s CONTRACT_SITE_URL=http://127.0.0.1:8000``), or to the spider's own
``base_url`` argument when that setting is unset. ``@scrapes`` only asks
whether an item *has* a field, which a dataclass item always does; ``@fills``
asks that every item has a non-empty value for each named field.

Spiders with required arguments get sample values from their
``contract_args`` under ``scrapy check`` (see ``VoclensSpider``).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail


class SiteContract(Contract):
    """``@site /path?query``: the sample request goes to PATH on the configured site."""

    name = "site"

    def __init__(self, method, *args: Any):
        super().__init__(method, *args)
        self.spider = method.__self__

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        base = self.spider.crawler.settings.get("CONTRACT_SITE_URL") or getattr(
            getattr(self.spider, "args", None), "base_url", None)
        if not base:
            raise ValueError(f"@site {self.args[0]}: spider {self.spider.name!r} has no base_url; "
                             "run scrapy check -s CONTRACT_SITE_URL=http://host:port")
        args["url"] = base.rstrip("/") + self.args[0]
        return args


class FillsContract(Contract):
    """``@fills field ...``: every item returned has a non-empty value for each field."""

    name = "fills"

    def post_process(self, output: list[Any]) -> None:
        for n, item in enumerate(x for x in output if is_item(x)):
            adapter = ItemAdapter(item)
            empty = [f for f in self.args if adapter.get(f) in (None, "", [], {})]
            if empty:
                raise ContractFail(f"item {n + 1}: empty {', '.join(empty)}")
