"""Churn risk (issue 26 part 5): per hashed customer, signals across their feedback and a flag on the newest document.

Modules: ``intent`` (stated intent to leave: a cue in an unhappy document),
``signals`` (one customer's signals, pure), ``scan`` (every customer, through
the Backend), ``store`` (the flags in the state database). A case rule with
the ``churn_risk`` condition opens a case for each flag and alerts it.
See docs/scores-and-cases.md#churn-risk.
"""

from .intent import cue, intent_to_leave
from .scan import customer_risks, scan
from .signals import CustomerRisk, Signal, customer_risk
from .store import ChurnStore

__all__ = ["ChurnStore", "CustomerRisk", "Signal", "cue", "customer_risk", "customer_risks", "intent_to_leave", "scan"]
