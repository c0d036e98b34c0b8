"""The runtime at ``nlp``'s top never imports the training and evaluation package."""

import pkgutil
import subprocess
import sys

import pytest

import nlp

#: ``annotations`` is the annotation set's data package (plan, labels, readers), not the runtime.
NOT_RUNTIME = ("training", "annotations")
RUNTIME_MODULES = sorted(m.name for m in pkgutil.iter_modules(nlp.__path__) if m.name not in NOT_RUNTIME)


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_runtime_modules_exist_and_training_is_a_package():
    assert {"analyser", "baseline", "transformer", "network", "model_layout"} <= set(RUNTIME_MODULES)
    assert not {"corpora", "evaluate", "training", "head_training"} & set(RUNTIME_MODULES)


def test_importing_every_runtime_module_leaves_nlp_training_unloaded():
    imports = "\n".join(f"import nlp.{m}" for m in RUNTIME_MODULES)
    code = f"import sys\n{imports}\nprint(sorted(m for m in sys.modules if m.startswith('nlp.training')))"
    assert _run(code) == "[]"


@pytest.mark.model
def test_classifying_on_the_torch_runtime_leaves_nlp_training_unloaded():
    from nlp.transformer import DEFAULT_CACHE_DIR

    code = (
        "import sys\n"
        "from nlp.transformer import LITE_MODEL_DIR, TransformerClassifier\n"
        f"c = TransformerClassifier(LITE_MODEL_DIR, cache_dir={str(DEFAULT_CACHE_DIR)!r}, runtime='torch')\n"
        "(r,) = c.classify_batch(['物流太慢了，等了一个星期'])\n"
        "assert r.sentiment.label.value == 'negative', r\n"
        "print(sorted(m for m in sys.modules if m.startswith('nlp.training')))\n"
    )
    assert _run(code) == "[]"
