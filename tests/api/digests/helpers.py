"""Shared values and helpers of the digest tests."""

from __future__ import annotations

from datetime import timedelta

from api.digests.schemas import SubscriptionCreate
from api.digests.store import DigestStore
from tests.index.corpus import NOW

#: A moment after the weekly Monday-09:00 digest of the corpus week is due (NOW is Monday 00:00 UTC).
DUE = NOW + timedelta(hours=10)
#: Created before the send time, so that digest is this subscription's to receive.
CREATED = NOW - timedelta(days=1)


def make_sub(store: DigestStore, created=CREATED, **overrides):
    data = dict(name="Acme logistics", owner="pm@example.com", frequency="weekly", weekday="mon", hour=9, tz="UTC",
                channel="email", email_to=["pm@example.com"])
    data.update(overrides)
    return store.create(SubscriptionCreate.model_validate(data), now=created)
