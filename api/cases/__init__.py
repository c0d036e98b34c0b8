"""Cases, the closed loop (issue 26 part 4): rules open a case per matching document, once; people move it.

Modules: ``schemas`` (rules, cases, changes), ``models`` and ``store`` (the
state database, beside the subscriptions), ``engine`` (rules to cases,
deadlines to breach alerts), ``metrics`` (response and resolution times).
See docs/scores-and-cases.md.
"""

from .engine import CaseRunReport, matches, open_cases, run_once
from .metrics import CaseMetrics, metrics, metrics_trend
from .schemas import Case, CaseChange, Conditions, InvalidRule, Rule, RuleCreate, RulePublic, check_rule_target
from .store import CaseNotFound, CaseStore, StateConflict

__all__ = [
    "Case", "CaseChange", "CaseMetrics", "CaseNotFound", "CaseRunReport", "CaseStore", "Conditions", "InvalidRule",
    "Rule", "RuleCreate", "RulePublic", "StateConflict", "check_rule_target", "matches", "metrics", "metrics_trend",
    "open_cases", "run_once",
]
