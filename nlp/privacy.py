"""Privacy: personal identifiers are masked and author ids hashed before anything is stored.

Brand teams need to count and de-duplicate authors, never to identify them;
phone numbers, e-mail addresses, resident ID numbers, bank cards and WeChat
or QQ ids in reviews are personal data that a search index must not spread.
``mask_pii`` is the one masker for a string, ``mask_value`` applies it to
nested metadata, and ``mask_fields`` to the fields of a record that reach the
index; ``hash_author`` turns a handle or platform id into a keyed hash.

Matching runs on a copy with full-width forms folded to ASCII (``１３８…``,
``a＠b.com``), so a mask covers the full-width spelling too. The stored text
keeps its own characters everywhere else: Chinese punctuation (``，！（）``)
lives in the same full-width block, and folding it wholesale would change
every Chinese review; folding is one character for one, so spans found in
the folded copy cut the original at the same offsets.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import phonenumbers

#: The author salt an installation has until it sets its own; ``voclens serve`` and
#: ``voclens crawl`` refuse to run in production with it (see ``is_default_salt``).
DEFAULT_AUTHOR_SALT = "voclens-default-salt"

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
ID_NUMBER_MASK = "[id_number]"
BANK_CARD_MASK = "[bank_card]"
WECHAT_MASK = "[wechat]"
QQ_MASK = "[qq]"

#: Record fields whose strings are masked (``meta`` recursively).
MASKED_FIELDS = ("text", "title", "product_name", "meta")

# Full-width ASCII (U+FF01-U+FF5E) and the ideographic space, folded to ASCII, one char for one.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _any_width(word: str) -> str:
    """A regex for ``word`` in either case and either width (``vx``, ``VX``, ``ＶＸ``)."""
    out = []
    for ch in word:
        forms = {ch.lower(), ch.upper()}
        forms |= {chr(ord(f) + 0xFEE0) for f in forms if "!" <= f <= "~"}
        out.append("[" + "".join(sorted(forms)) + "]")
    return "".join(out)


_LATIN_CUES = ("vx", "wx", "weixin", "wechat", "qq")
_ZH_CUES = ("微信", "威信", "薇信", "V信", "v信", "扣扣", "企鹅号", "Q号", "q号")
_DIGIT = "[0-9０-９]"
_SEP = r"[\s().\-/－（）．／]"
# The cheap test every text passes first: an '@', a cue word, or seven digits (separators
# allowed). Everything masked needs one of them: QQ numbers (5+ digits) come after a cue,
# and phones, cards and ID numbers have 7+ digits. About 1 in 20 ordinary reviews goes on.
_HINT_RE = re.compile(
    "[@＠]|" + "|".join(_ZH_CUES) + "|" + "|".join(_any_width(c) for c in _LATIN_CUES)
    + f"|{_DIGIT}(?:{_SEP}{{0,2}}{_DIGIT}){{6}}"
)

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_WECHAT_RE = re.compile(
    r"(?:(?P<zh>微信|威信|薇信|v信)|(?<![a-z])(?:vx|wx|weixin|wechat)(?![a-z]))"
    r"(?:\s*(?:号|id))?\s*(?:(?P<colon>[:=：]|是|为)|is\b)?\s*"
    r"(?P<id>[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])",
    re.IGNORECASE,
)
_QQ_RE = re.compile(
    r"(?:(?<![a-z])qq|扣扣|企鹅号|q号)(?:\s*(?:号码|号|群|number|no\.?|id))?\s*(?:[:=：#]|是|为|is\b)?\s*"
    r"(?P<id>[1-9][0-9]{4,10})(?![0-9])",
    re.IGNORECASE,
)
# 18-character resident ID: 6-digit area, 8-digit birth date, 3-digit sequence, check digit or X.
_ID_RE = re.compile(r"(?<![0-9])[1-9][0-9]{5}[ -]?(?:18|19|20)[0-9]{6}[ -]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])")
# 13-19 digits, optionally grouped with single spaces or dashes.
_CARD_RE = re.compile(r"(?<![0-9])[0-9]+(?:[ -][0-9]+){0,8}(?![0-9])")
# Phone-shaped runs handed to phonenumbers: 7+ digits with the separators people write.
_PHONE_CANDIDATE_RE = re.compile(r"(?<![0-9])\+?\(?[0-9][0-9\s().-]{5,24}[0-9](?![0-9])")
# Chinese mobile numbers (11 digits starting 1[3-9]), optionally +86 and with spaces or dashes.
_CN_MOBILE_RE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# International / landline styles: +44 20 7946 0958, (555) 123-4567, 010-12345678, 555-123-4567.
_PHONE_RE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w])"
)
# A number right after one of these names a thing, not a person: no card, ID or phone mask.
_THING_CUE_RE = re.compile(
    r"(?:订单|单号|运单|快递单|物流单|发票|序列号|型号|编号|order|tracking|invoice|serial|model|sku|ref|(?<![a-z])sn)"
    r"(?:\s*(?:号码|号|no\.?|number|id))?\s*[:#：]?\s*$",
    re.IGNORECASE,
)
_PHONE_REGIONS = ("CN", "US")
_CONTEXT = 8
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

Span = tuple[int, int, str]


def resident_id_valid(number: str) -> bool:
    """True for an 18-character resident ID whose last character is its ISO 7064 MOD 11-2 check.

    >>> resident_id_valid("11010519491231002X"), resident_id_valid("110105194912310021")
    (True, False)
    """
    if len(number) != 18 or not number[:17].isdigit():
        return False
    month, day = int(number[10:12]), int(number[12:14])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check that every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_like(digits: str) -> bool:
    # Issuer prefixes narrow Luhn's 1-in-10 chance on order numbers: Amex/JCB/Diners 3, Visa 4,
    # Mastercard 5 and 2221-2720, UnionPay and Discover 6, and the older Chinese debit 9558/9559.
    if not 13 <= len(digits) <= 19:
        return False
    head = digits[0]
    ok = head in "3456" or (len(digits) == 16 and 2221 <= int(digits[:4]) <= 2720) or digits[:4] in ("9558", "9559")
    return ok and luhn_valid(digits)


def _cards(folded: str) -> Iterator[tuple[int, int]]:
    """Spans of Luhn-valid card numbers; a run that is longer than a card is tried group by group."""
    for m in _CARD_RE.finditer(folded):
        groups = [(g.start(), g.end()) for g in re.finditer("[0-9]+", m.group())]
        best = None
        for i in range(len(groups)):
            for j in range(len(groups), i, -1):
                start, end = m.start() + groups[i][0], m.start() + groups[j - 1][1]
                digits = "".join(c for c in folded[start:end] if c.isdigit())
                if len(digits) < 13:
                    break
                if _card_like(digits):
                    best = (start, end)
                    break
            if best:
                break
        if best:
            yield best


def _phones(folded: str, taken: Callable[[int, int], bool]) -> Iterator[tuple[int, int]]:
    """Spans phonenumbers accepts as valid numbers (CN or US rules; ``+`` numbers of any country).

    The matcher costs ~150 µs per region on a review, so it only sees phone-shaped runs of
    7+ digits, with a few characters of context either side (its own checks look there:
    ``2026-11-18 10:30`` is a time stamp, not a number). A run of bare digits longer than
    the number it parsed to (``112233445566`` read as +1 223-344-5566) is an order number.
    """
    for m in _PHONE_CANDIDATE_RE.finditer(folded):
        if sum(c.isdigit() for c in m.group()) < 7 or taken(m.start(), m.end()):
            continue
        lo, hi = max(0, m.start() - _CONTEXT), min(len(folded), m.end() + _CONTEXT)
        window = folded[lo:hi]
        for region in _PHONE_REGIONS:
            for found in phonenumbers.PhoneNumberMatcher(window, region):
                raw = found.raw_string
                if raw.isdigit() and len(raw) > len(phonenumbers.national_significant_number(found.number)) + 1:
                    continue
                yield lo + found.start, lo + found.end


def _find(folded: str) -> list[Span]:
    """Every identifier in ``folded``, earlier detectors winning where spans overlap."""
    spans: list[Span] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    def add(start: int, end: int, mask: str) -> None:
        if free(start, end):
            spans.append((start, end, mask))

    def add_number(start: int, end: int, mask: str) -> None:
        if not _THING_CUE_RE.search(folded, max(0, start - 16), start):
            add(start, end, mask)

    if "@" in folded:
        for m in _EMAIL_RE.finditer(folded):
            add(m.start(), m.end(), EMAIL_MASK)
    for m in _WECHAT_RE.finditer(folded):
        wid = m.group("id")
        # After Latin cues ("wechat support") an id needs a colon or a digit, _ or - in it.
        if m.group("zh") or m.group("colon") or any(c.isdigit() or c in "_-" for c in wid):
            add(m.start("id"), m.end("id"), WECHAT_MASK)
    for m in _QQ_RE.finditer(folded):
        add(m.start("id"), m.end("id"), QQ_MASK)
    for m in _ID_RE.finditer(folded):
        if resident_id_valid(m.group().replace(" ", "").replace("-", "")):
            add_number(m.start(), m.end(), ID_NUMBER_MASK)
    for start, end in _cards(folded):
        add_number(start, end, BANK_CARD_MASK)
    # Chinese mobiles by regex first: the common case then never reaches phonenumbers.
    for m in _CN_MOBILE_RE.finditer(folded):
        add_number(m.start(), m.end(), PHONE_MASK)
    for start, end in _phones(folded, lambda a, b: not free(a, b)):
        add_number(start, end, PHONE_MASK)
    for m in _PHONE_RE.finditer(folded):
        add_number(m.start(), m.end(), PHONE_MASK)
    return sorted(spans)


def mask_pii(text: str) -> str:
    """Replace personal identifiers in ``text`` with ``[email]``, ``[phone]``, ``[id_number]``,
    ``[bank_card]``, ``[wechat]`` and ``[qq]``.

    Phone numbers are those phonenumbers accepts for China or the US (or any
    ``+`` country code), plus the shapes people write them in; ID numbers must
    carry a valid check digit and cards a valid Luhn digit with a card issuer's
    prefix, so order numbers, prices, dates and model numbers stay. WeChat and
    QQ ids are masked after a cue word (微信, VX, wechat, QQ, 扣扣...), keeping
    the cue.

    >>> mask_pii("call 138-1234-5678 or mail a.b@example.com, order 2026111812345")
    'call [phone] or mail [email], order 2026111812345'
    >>> mask_pii("加我微信：lumio_fan88，QQ 12345678")
    '加我微信：[wechat]，QQ [qq]'
    """
    if not text or not _HINT_RE.search(text):
        return text
    folded = text.translate(_FOLD)
    spans = _find(folded)
    if not spans:
        return text
    out, pos = [], 0
    for start, end, mask in spans:
        out.append(text[pos:start])
        out.append(mask)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask_value(value: Any, mask: Callable[[str], str] = mask_pii) -> Any:
    """``value`` with every string in it masked: dicts and lists recursively, keys kept.

    Integers long enough to be a phone or card number (7+ digits) are masked
    too when they are one (a JSON export often writes a phone as a number).
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {k: mask_value(v, mask) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v, mask) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1_000_000:
        masked = mask(str(value))
        return value if masked == str(value) else masked
    return value


def mask_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with ``text``, ``title``, ``product_name`` and ``meta`` masked."""
    out = dict(record)
    for name in MASKED_FIELDS:
        if out.get(name) is not None:
            out[name] = mask_value(out[name])
    return out


def hash_author(source: str, handle: str, salt: str) -> str:
    """Keyed hash of an author handle or platform id, scoped to its source.

    HMAC with a deployment secret (``VOCLENS_AUTHOR_SALT``) so handles cannot
    be recovered by hashing a list of known handles; the same author on the
    same source always maps to the same value, so repeat complainers still
    show up. Platform ids are hashed as ``id:<id>`` (see ``hash_author_id``)
    so they never collide with a handle that looks like a number.
    """
    key = salt.encode()
    msg = f"{source.strip().lower()}\x1f{handle.strip()}".encode()
    return "a_" + hmac.new(key, msg, hashlib.sha256).hexdigest()[:24]


def hash_author_id(source: str, author_id: Any, salt: str) -> str:
    """``hash_author`` of a platform's numeric or opaque user id (Weibo uid, openid...)."""
    return hash_author(source, f"id:{str(author_id).strip()}", salt)


def hash_customer(customer_id: Any, salt: str) -> str:
    """Keyed hash of a customer id (a shop's member or account number), like ``hash_author``.

    Not scoped to a source: the same customer answers a survey, opens a ticket and
    writes a review, and their feedback is linked across all of them (churn signals).
    """
    msg = f"customer\x1f{str(customer_id).strip()}".encode()
    return "c_" + hmac.new(salt.encode(), msg, hashlib.sha256).hexdigest()[:24]


def is_default_salt(salt: str) -> bool:
    """True while the installation still hashes with the salt every installation starts with."""
    return salt == DEFAULT_AUTHOR_SALT
