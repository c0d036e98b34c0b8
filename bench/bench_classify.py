"""Documents/second and peak memory of the classifier, per runtime, on a realistic mix.

Usage::

    .venv/bin/python bench/bench_classify.py [--n 2000] [--runtimes onnx-int8,onnx-fp32,torch,torch-int8,fast]
                                             [--threads 2] [--repeat 3] [--cli] [--model transformer]

A runtime may name its model: ``lite/onnx-fp32`` runs the distilled 4-layer
student (``--model lite``) on ONNX Runtime float32; a bare runtime uses
``--model`` (default ``transformer``).

The mix is drawn from the dev splits of the shared data, with their real
lengths: 40% Chinese product reviews (online_shopping, waimai), 20% Chinese
social posts (Weibo), 20% English reviews (SemEval, UCI), 20% English posts
(TweetEval). Each runtime runs in its own process, so its peak memory (max
RSS) is its own: the model load, one warm-up batch, then ``--repeat`` timed
passes over the mix; the median is reported. ``--cli`` also times one
end-to-end ``voclens classify`` run with the configured default runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIX = [("online_shopping_10_cats", 0.3), ("waimai_10k", 0.1), ("weibo_senti_100k_partial", 0.2),
       ("semeval_absa_2014_2016", 0.1), ("uci_sentiment_labelled_sentences", 0.1), ("tweeteval_sentiment", 0.2)]  # fmt: skip


def build_mix(n: int, seed: int = 7) -> list[str]:
    from nlp.training.corpora import load_corpus

    rng = random.Random(seed)
    texts = []
    for key, share in MIX:
        rows = [e.text for e in load_corpus(key) if e.split == "dev"]
        texts += rng.sample(rows, min(len(rows), round(n * share)))
    rng.shuffle(texts)
    return texts


def run_one(runtime: str, texts_file: str, threads: int, repeat: int, model: str = "transformer") -> dict:
    """Runs inside a child process: load, warm up, time ``repeat`` passes."""
    import resource

    from nlp.models import get_classifier

    texts = json.loads(Path(texts_file).read_text())
    started = time.perf_counter()
    if "/" in runtime:
        model, runtime = runtime.split("/", 1)
    if runtime == "fast":
        clf = get_classifier("fast")
    else:
        clf = get_classifier(model, runtime=runtime, threads=threads).load()
    clf.classify_batch(texts[:32])
    load_s = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        clf.classify_batch(texts)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return {"runtime": runtime, "version": clf.version, "docs": len(texts), "load_s": round(load_s, 1),
            "median_s": round(med, 2), "docs_per_s": round(len(texts) / med, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="texts in the mix")
    ap.add_argument("--runtimes", default="onnx-int8,onnx-fp32,torch,torch-int8,fast")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="also time one `voclens classify` run")
    ap.add_argument("--model", default="transformer", help="model of bare runtimes: transformer or lite")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], args.child[1], args.threads, args.repeat, args.model)))
        return
    texts = build_mix(args.n)
    chars = sorted(len(t) for t in texts)
    print(f"mix: {len(texts)} texts, median {chars[len(chars) // 2]} chars, mean {sum(chars) / len(chars):.0f}, "
          f"p95 {chars[int(len(chars) * 0.95)]}; threads {args.threads}; median of {args.repeat} passes")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tf = Path(tmp, "texts.json")
        tf.write_text(json.dumps(texts, ensure_ascii=False))
        print(f"{'runtime':<18}{'docs/s':>9}{'peak MB':>9}{'load s':>8}  version")
        for rt in args.runtimes.split(","):
            cmd = [sys.executable, __file__, "--child", rt, str(tf), "--threads", str(args.threads),
                   "--repeat", str(args.repeat), "--model", args.model]  # fmt: skip
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if res.returncode:
                print(f"{rt:<18} failed: {res.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(res.stdout.strip().splitlines()[-1])
            print(f"{rt:<18}{r['docs_per_s']:>9.1f}{r['peak_rss_mb']:>9}{r['load_s']:>8}  {r['version']}")
        if args.cli:
            src, dst = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
            src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)))
            env = {**os.environ, "VOCLENS_MODEL": args.model, "VOCLENS_MODEL_THREADS": str(args.threads)}
            t = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "voclens"), "classify", "-i", str(src), "-o", str(dst)],
                           check=True, env=env, capture_output=True)  # fmt: skip
            wall = time.perf_counter() - t
            import resource

            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far
            print(f"voclens classify end to end (process start, model load, {len(texts)} docs): {wall:.1f} s, "
                  f"{len(texts) / wall:.0f} docs/s, peak of any child process {peak:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
