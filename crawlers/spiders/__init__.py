"""One spider per source; each subclasses ``crawlers.spiders.base.VoclensSpider``.

See docs/crawling.md ("How to add a spider").
"""
