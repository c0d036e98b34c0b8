"""Errors raised by ``nlp``."""


class NLPError(Exception):
    """Base class of every error raised by ``nlp``."""


class UnknownModel(NLPError):
    """The configured model name is not one voclens knows."""


class ModelError(NLPError):
    """A model could not be built, loaded or saved (missing files, bad format, failed check)."""


class MissingExtra(NLPError):
    """A part of voclens that an optional extra installs is missing (torch and transformers: ``voclens[train]``)."""
