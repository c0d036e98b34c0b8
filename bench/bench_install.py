"""What a runtime-only install costs: venv size, pip time, and time to the first answer.

Installs voclens with plain ``pip install .`` (no extras: what a user who only
classifies, serves or runs the demo gets) into a throwaway virtual
environment, then runs ``voclens classify`` on the demo corpus with an empty
model cache, so the first answer includes building the base encoder and the
ONNX file; a second run shows the warm cost. Everything lives in one temporary
folder that is deleted at the end (unless ``--keep``).

Usage::

    python3 bench/bench_install.py                 # this working tree
    python3 bench/bench_install.py --source d4ee074  # a commit of this repository (before issue 25)
    python3 bench/bench_install.py --labels out.jsonl  # also keep the classify output, to compare labels

Stdlib only, so any Python 3.11 runs it. pip's cache is off by default
(``--no-cache-dir``): the install time includes the downloads, as on a fresh
machine; ``--pip-cache`` measures with whatever the cache holds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Not part of an install: version control, local environments, data and build leftovers.
SKIP = shutil.ignore_patterns(".git", ".venv", "venv", "voclens-data", "build", "*.egg-info", "__pycache__", ".pytest_cache")


def export_source(source: str, dest: Path) -> Path:
    """A clean copy of ``source`` (a folder, or a commit of this repository) to install from.

    pip builds a local project in its own folder (``build/``, ``*.egg-info``),
    so the bench never installs straight from a working tree it does not own.
    """
    if Path(source).is_dir():
        shutil.copytree(source, dest, ignore=SKIP)
    else:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", source], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def timed(cmd: list[str], **kwargs) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def du(path: Path) -> int:
    """Bytes on disk under ``path`` (what ``du -s`` counts)."""
    return int(subprocess.run(["du", "-sk", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]) * 1024


def biggest_packages(venv: Path, n: int = 6) -> list[tuple[str, int]]:
    site = next(venv.glob("lib/python*/site-packages"))
    sizes = [(p.name, du(p)) for p in site.iterdir() if p.is_dir() and not p.name.endswith((".dist-info", "__pycache__"))]
    return sorted(sizes, key=lambda x: -x[1])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT), help="folder or git commit to install (default: this tree)")
    parser.add_argument("--python", default=sys.executable, help="interpreter that creates the venv")
    parser.add_argument("--pip-cache", action="store_true", help="let pip use its cache (default: download everything)")
    parser.add_argument("--labels", type=Path, help="keep the first classify output here (JSONL)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="voclens-install-"))
    try:
        src = export_source(args.source, tmp / "src")
        venv, cache, work = tmp / "venv", tmp / "model-cache", tmp / "work"
        work.mkdir()
        texts = work / "texts.jsonl"
        with (ROOT / "api" / "demo" / "corpus.jsonl").open(encoding="utf-8") as fh, texts.open("w", encoding="utf-8") as out:
            for n, line in enumerate(fh):
                out.write(json.dumps({"id": str(n), "text": json.loads(line)["text"]}, ensure_ascii=False) + "\n")
        n_texts = n + 1
        t_venv = timed([args.python, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *([] if args.pip_cache else ["--no-cache-dir"])]
        t_pip = timed([*pip, str(src)])
        size = du(venv)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOCLENS_")}
        env |= {"VOCLENS_MODEL_CACHE_DIR": str(cache), "VOCLENS_DATA_DIR": str(work / "data")}
        classify = [str(venv / "bin" / "voclens"), "classify", "-i", str(texts)]
        t_first = timed([*classify, "-o", str(work / "first.jsonl")], cwd=work, env=env)
        t_warm = timed([*classify, "-o", str(work / "warm.jsonl")], cwd=work, env=env)
        has_torch = subprocess.run([str(venv / "bin" / "python"), "-c", "import importlib.util as u; print(bool(u.find_spec('torch')))"],
                                   capture_output=True, text=True).stdout.strip()  # fmt: skip
        if args.labels:
            shutil.copy(work / "first.jsonl", args.labels)
        print(f"source: {args.source}")
        print(f"| what | figure |\n|---|---|")
        print(f"| venv size (du -s) | {size / 2**30:.2f} GiB ({size / 2**20:,.0f} MiB) |")
        print(f"| torch installed | {has_torch} |")
        print(f"| python -m venv | {t_venv:.1f} s |")
        print(f"| pip install{'' if args.pip_cache else ' --no-cache-dir'} | {t_pip:.0f} s |")
        print(f"| first voclens classify ({n_texts} demo texts, empty model cache: builds included) | {t_first:.1f} s |")
        print(f"| second voclens classify (warm cache) | {t_warm:.1f} s |")
        print(f"| fresh venv to first answer (venv + pip + first classify) | {t_venv + t_pip + t_first:.0f} s |")
        print(f"| model cache after the first run | {du(cache) / 2**20:,.0f} MiB |")
        print("largest packages: " + ", ".join(f"{name} {b / 2**20:,.0f} MiB" for name, b in biggest_packages(venv)))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
