"""Churn risk (issue 26 part 5): per hashed customer, signals across their feedback and a flag on the newest document.

Modules: ``intent`` (the cues, and the cue rule: a cue in an unhappy
document), ``intent_model`` (the classifier that reads a stated intent to
leave from a document's stored vector, and the reader the scan uses),
``intent_training`` (``voclens churn train-intent``), ``signals`` (one
customer's signals, pure), ``scan`` (every customer, through the Backend),
``store`` (the flags in the state database). A case rule with the
``churn_risk`` condition opens a case for each flag and alerts it.
See docs/scores-and-cases.md#churn-risk.
"""

from .intent import cue, intent_to_leave
from .intent_model import EncoderMismatch, IntentModel, IntentModelError, IntentReader
from .scan import customer_risks, scan
from .signals import CustomerRisk, Signal, customer_risk
from .store import ChurnStore

__all__ = ["ChurnStore", "CustomerRisk", "EncoderMismatch", "IntentModel", "IntentModelError", "IntentReader", "Signal",
           "cue", "customer_risk", "customer_risks", "intent_to_leave", "scan"]
