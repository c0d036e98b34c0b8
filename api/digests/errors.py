"""Errors of digests and alerts; the API maps them to statuses in ``api.errors.STATUS_BY_ERROR``."""

from __future__ import annotations


class DigestError(Exception):
    """Base class of every digest, alert and delivery failure."""


class SubscriptionNotFound(DigestError):
    """No subscription has this id (HTTP 404)."""

    def __init__(self, subscription_id: str):
        super().__init__(f"no subscription with id {subscription_id!r}")
        self.subscription_id = subscription_id
        self.field = "id"


class InvalidSubscription(DigestError):
    """A subscription that cannot be delivered as configured (HTTP 422), naming the field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DeliveryFailed(DigestError):
    """Sending a digest failed; ``retryable`` is False when trying again cannot help (a 4xx answer)."""

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


__all__ = ["DeliveryFailed", "DigestError", "InvalidSubscription", "SubscriptionNotFound"]
