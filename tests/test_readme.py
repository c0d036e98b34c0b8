"""The README is tested: every `voclens` and `curl` line of its bash blocks runs, as written, on the demo corpus.

The lines run in README order in one temporary folder (VOCLENS_DATA_DIR loaded with ``voclens demo
--no-serve``; the ``tickets.csv`` and ``texts.jsonl`` the usage lines name are written there), through
bash, with a ``voclens`` on PATH that runs this checkout. ``curl`` lines go to a live ``voclens serve
--port <free port>`` on the same data (the README's port 8000 is rewritten) and get ``--fail-with-body``
so an HTTP error fails them. ``export`` lines set the environment of the lines after them. A line fails
when it exits non-zero, prints nothing, or finds nothing
(the CLI's `0 match(es)` / `none; ...` lines). Other lines (make, source, open) are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import Server

ROOT = Path(__file__).resolve().parents[1]

#: Lines not run here, by prefix, and why. Keep it short: everything else must run as written.
SKIP = {
    "voclens serve": "runs until stopped; the curl lines run against a live `voclens serve --port`",
    "voclens model ": "builds, trains or evaluates the classifier (a minute to half an hour; writes nlp/weights)",
    "voclens index copy --from sqlite --to elasticsearch": "needs an Elasticsearch node",
    "voclens crawl jd ": "crawls the real JD site",
    "voclens topics examples ": "teaches from document vectors, which the tests' lexicon-labelled demo lacks (see "
                                "voclens similar); tests/api/test_own_topics.py and tests/api/test_cli_topics.py run the steps",
    "voclens similar ": "needs document vectors, and the tests' demo is labelled by the lexicon model (VOCLENS_MODEL=fast), "
                        "which makes none; tests/api/test_similar.py runs the command",
    "voclens themes ": "clusters document vectors, which the tests' demo (lexicon model) has none of; "
                       "tests/api/test_themes.py runs the command",
}

TICKETS_CSV = (
    "ticket_id,body,opened\n"
    "Z1,快递太慢了，一周才到,2026-11-20 10:00\n"
    "Z2,Refund still not received after two weeks,2026-11-21 09:30\n"
)
TEXTS_JSONL = '{"id": 1, "text": "物流很快，但是质量太差了"}\n{"id": 2, "text": "Great value, arrived early"}\n'


def readme_lines() -> list[tuple[int, str]]:
    """(line number, command) for every logical line of README.md's bash blocks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    commands, in_block, pending, start = [], False, "", 0
    for no, line in enumerate(lines, 1):
        if line.strip().startswith("```"):
            in_block = line.strip() == "```bash" if not in_block else False
            continue
        if not in_block:
            continue
        if not pending:
            start = no
        pending += line + "\n"
        if pending.rstrip().endswith("\\"):
            continue  # a continued line
        try:
            shlex.split(pending, comments=True)
        except ValueError:
            continue  # a quote still open: the command goes on
        if pending.strip():
            commands.append((start, pending.strip()))
        pending = ""
    assert not pending, f"README.md:{start}: unterminated command"
    return commands


def _skip_reason(cmd: str) -> str | None:
    return next((why for prefix, why in SKIP.items() if cmd.startswith(prefix)), None)


RUN = [(no, cmd) for no, cmd in readme_lines() if cmd.startswith(("voclens ", "curl ", "export "))]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder with the demo data, the sample files, a `voclens` on PATH and (on first use) a live server."""
    home = tmp_path_factory.mktemp("readme")
    data, bin_dir = home / "data", home / "bin"
    bin_dir.mkdir()
    voclens = bin_dir / "voclens"
    voclens.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m api.cli "$@"\n')
    voclens.chmod(0o755)
    (home / "tickets.csv").write_text(TICKETS_CSV, encoding="utf-8")
    (home / "texts.jsonl").write_text(TEXTS_JSONL, encoding="utf-8")
    env = {**os.environ, "VOCLENS_DATA_DIR": str(data), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "160"}
    subprocess.run(["voclens", "demo", "--no-serve"], env=env, cwd=home, check=True, capture_output=True, timeout=300)
    box = {"home": home, "env": env, "server": None}
    yield box
    if box["server"]:
        box["server"].stop()


def _server(box) -> Server:
    if box["server"] is None:
        box["server"] = Server(Path(box["env"]["VOCLENS_DATA_DIR"]))  # cwd = the checkout: runs this code
    return box["server"]


def test_readme_has_commands_and_curl_lines():
    cmds = [c for _, c in RUN]
    assert sum(c.startswith("voclens ") for c in cmds) > 20 and sum(c.startswith("curl ") for c in cmds) >= 5
    assert any("--port" in c for c in cmds), "the README shows how to choose the port"
    assert not [c for c in cmds if re.search(r"<[a-z_]+>|…", c)], "placeholders do not run as written"


@pytest.mark.parametrize(("no", "cmd"), RUN, ids=[f"L{no}" for no, _ in RUN])
def test_readme_line_runs(sandbox, no, cmd):
    """README lines build on each other (create, then preview), so they run in order in one sandbox."""
    if why := _skip_reason(cmd):
        pytest.skip(why)
    env = sandbox["env"]
    if cmd.startswith("export "):
        for item in shlex.split(cmd[len("export "):], comments=True):
            name, _, value = item.partition("=")
            env[name] = value
        return
    if cmd.startswith("curl "):
        port = _server(sandbox).port
        cmd = "curl --fail-with-body " + cmd[len("curl "):].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], env=env, cwd=sandbox["home"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, f"README.md:{no}: exit {r.returncode}\n{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert (r.stdout + r.stderr).strip(), f"README.md:{no}: printed nothing\n{cmd}"
    # an example that finds nothing teaches nothing: the CLI's "none, because..." lines fail here
    assert not re.search(r"^0 match\(es\)|: none; ", r.stdout, re.M), f"README.md:{no}: found nothing\n{cmd}\n{r.stdout}"
