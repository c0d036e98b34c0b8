#!/usr/bin/env python3
"""Write nlp/resources/traditional_chars.txt: the characters that send a text through the script fold.

    scripts/traditional_chars.py            # after upgrading the ``opencc`` package

``nlp._script.fold`` runs OpenCC only on texts holding one of these characters: every
character that the fold's one-character dictionaries change (see ``trigger_chars``). The dictionaries ship compiled (``.ocd2``);
the ``opencc_dict`` tool bundled with the package dumps them as text.
``tests/nlp/test_script.py`` checks the list against the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp._script import FOLD_DICTIONARIES, TRADITIONAL_CHARS_FILE, opencc_data_dir  # noqa: E402


def read_dump(dump: Path) -> list[tuple[str, str]]:
    """(key, first value) per dictionary entry; the first value is the one OpenCC uses."""
    entries = []
    for line in dump.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        value = values.split(" ")[0]
        if len(key) != len(value):
            raise SystemExit(f"{dump.name}: {key!r} -> {value!r} changes length; the fold assumes it never does")
        entries.append((key, value))
    return entries


def trigger_chars(entries: list[tuple[str, str]]) -> set[str]:
    """The characters a one-character entry changes: their presence sends a text to OpenCC.

    Phrase entries add none. Those whose characters are all unchanged alone
    read ordinary simplified text as old traditional usage (打坏 -> 打坯,
    深沈 -> 深沉); simplified feedback must never reach them. A text with a
    real traditional character goes through OpenCC whole, phrases included.
    """
    return {k for k, v in entries if len(k) == 1 and k != v}


def main() -> None:
    share = opencc_data_dir()
    tool = share.parents[1] / "bin" / "opencc_dict"
    env = {**os.environ, "LD_LIBRARY_PATH": str(share.parents[1] / "lib64")}
    entries: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in FOLD_DICTIONARIES:
            dump = Path(tmp) / f"{name}.txt"
            subprocess.run([str(tool), "-i", str(share / f"{name}.ocd2"), "-o", str(dump), "-f", "ocd2", "-t", "text"],
                           check=True, env=env)  # fmt: skip
            entries += read_dump(dump)
    chars = trigger_chars(entries)
    body = "".join(sorted(chars))
    TRADITIONAL_CHARS_FILE.write_text(
        "# Characters the traditional->simplified fold may change (scripts/traditional_chars.py)\n"
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64)) + "\n",
        encoding="utf-8",
    )
    print(f"{len(chars)} characters -> {TRADITIONAL_CHARS_FILE}")


if __name__ == "__main__":
    main()
