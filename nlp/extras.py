"""What the optional ``train`` extra installs, and the clear error when it is missing.

The runtime (classify, demo, serve) runs on ONNX Runtime and never imports
torch or transformers; training, distillation and evaluation against torch
need them. A plain ``pip install voclens`` leaves them out (5.4 GB of
torch and CUDA wheels), so a command that reaches for them must say which
extra to install instead of ending in an import error.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtra

#: Top-level modules that only ``pip install 'voclens[train]'`` brings.
TRAIN_MODULES = frozenset({"torch", "transformers"})
INSTALL_TRAIN = "pip install 'voclens[train]'"


def missing_extra(exc: BaseException) -> MissingExtra | None:
    """``MissingExtra`` when ``exc`` is the failed import of a train-only module, else None."""
    if not isinstance(exc, ModuleNotFoundError):
        return None
    module = (exc.name or "").split(".")[0]
    if module not in TRAIN_MODULES:
        return None
    return MissingExtra(f"this needs {module}, which comes with the training extra: install voclens[train] "
                        f"({INSTALL_TRAIN}, or `make install` in a checkout)")  # fmt: skip


def import_train(name: str) -> ModuleType:
    """Import a train-only module, or raise ``MissingExtra`` saying how to install it.

    Raises:
        MissingExtra: the module is not installed.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise (missing_extra(exc) or exc) from exc


__all__ = ["INSTALL_TRAIN", "TRAIN_MODULES", "import_train", "missing_extra"]
