"""Privacy: author handles are hashed and contact details masked before anything is indexed.

Brand teams need to count and de-duplicate authors, never to identify them;
phone numbers and e-mail addresses in review texts are personal data that a
search index must not spread.
"""

from __future__ import annotations

import hashlib
import hmac
import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Chinese mobile numbers (11 digits starting 1[3-9]), optionally +86 and with spaces or dashes.
_CN_MOBILE_RE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# International / landline styles: +44 20 7946 0958, (555) 123-4567, 010-12345678, 555-123-4567.
_PHONE_RE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w])"
)


def mask_pii(text: str) -> str:
    """Replace e-mail addresses and phone numbers with ``[email]`` / ``[phone]``.

    Order numbers and prices stay: only digit groups shaped like phone
    numbers are masked (a CN mobile, or groups separated the way people
    write phone numbers, or a ``+`` country code).

    >>> mask_pii("call 138-1234-5678 or mail a.b@example.com, order 2026111812345")
    'call [phone] or mail [email], order 2026111812345'
    """
    if not text:
        return text
    text = _EMAIL_RE.sub(EMAIL_MASK, text)
    text = _CN_MOBILE_RE.sub(PHONE_MASK, text)
    return _PHONE_RE.sub(PHONE_MASK, text)


def hash_author(source: str, handle: str, salt: str) -> str:
    """Keyed hash of an author handle, scoped to its source.

    HMAC with a deployment secret (``VOCLENS_AUTHOR_SALT``) so handles cannot
    be recovered by hashing a list of known handles; the same author on the
    same source always maps to the same value, so repeat complainers still
    show up.
    """
    key = salt.encode()
    msg = f"{source.strip().lower()}\x1f{handle.strip()}".encode()
    return "a_" + hmac.new(key, msg, hashlib.sha256).hexdigest()[:24]
