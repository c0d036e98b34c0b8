"""Digests and alerts: saved queries delivered on a schedule by e-mail or webhook, exactly once per period.

Modules: ``schemas`` (subscription models and validation), ``models`` and
``store`` (the state database), ``schedule`` (periods and send times),
``content`` (the digest, from ``Backend`` methods only), ``render`` and
``payloads`` (e-mail and webhook formats), ``chart`` (the PNG),
``delivery`` (SMTP, webhooks, signing, backoff), ``alerts``, ``runner``
(exactly-once delivery) and ``scheduler`` (inside ``voclens serve``).
See docs/digests.md.
"""

from .errors import DeliveryFailed, DigestError, InvalidSubscription, SubscriptionNotFound
from .runner import Runner, RunReport
from .schemas import Subscription, SubscriptionCreate, SubscriptionPublic, SubscriptionUpdate
from .store import DigestStore

__all__ = [
    "DeliveryFailed", "DigestError", "DigestStore", "InvalidSubscription", "RunReport", "Runner", "Subscription",
    "SubscriptionCreate", "SubscriptionNotFound", "SubscriptionPublic", "SubscriptionUpdate",
]
