"""Discovered themes (issue 19 part 4): ``GET /themes`` and ``voclens themes``.

``discover`` fetches a window's documents through the ``Backend`` and runs
the pure clustering and term functions of ``nlp.themes``; ``store`` keeps
each theme's members in the state database, so a theme can be found again by
its id (``theme_examples``), for example to seed an own topic from it.
"""

from .discover import MAX_DOCUMENTS, Theme, ThemeExample, ThemesResult, discover_themes, theme_windows
from .store import ThemeNotFound, ThemeStore, theme_examples

__all__ = ["MAX_DOCUMENTS", "Theme", "ThemeExample", "ThemeNotFound", "ThemeStore", "ThemesResult", "discover_themes",
           "theme_examples", "theme_windows"]
