"""``python -m api.cli``: the ``voclens`` command without the installed console script (tests use it)."""

from . import main

main()
