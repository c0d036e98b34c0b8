"""A small trend chart as PNG bytes, written with the standard library only.

A digest needs one tiny picture (bars of volume with the negative part in
red), not a plotting library: matplotlib would add ~40 MB and a font cache to
every install for ~100 lines of pixels. Labels are in the e-mail's text, not
in the image, so no font is needed either.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT = 480, 140
BACKGROUND = (255, 255, 255)
AXIS = (180, 180, 180)
VOLUME = (150, 170, 200)
NEGATIVE = (214, 69, 65)
CURRENT_OUTLINE = (40, 40, 40)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(pixels: list[bytearray], width: int, height: int) -> bytes:
    """PNG of an RGB image given as rows of ``3 * width`` bytes (filter type 0 on every row)."""
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


def _fill(pixels: list[bytearray], x0: int, y0: int, x1: int, y1: int, color: tuple[int, int, int]) -> None:
    if not pixels:
        return
    x0, x1 = max(x0, 0), min(x1, len(pixels[0]) // 3)
    if x1 <= x0:
        return
    span = bytes(color) * (x1 - x0)  # one slice per row: a pixel loop made this a tenth of a digest preview
    for y in range(max(y0, 0), min(y1, len(pixels))):
        pixels[y][3 * x0:3 * x1] = span


def trend_png(points: Sequence[tuple[int, int]], width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """Bars of ``(volume, negative)`` per point, oldest left; the last bar (the digest's period) outlined.

    Example:
        >>> trend_png([(10, 2), (12, 6)])[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        True
    """
    pixels = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]
    pad, base = 8, height - 10
    _fill(pixels, pad, base, width - pad, base + 1, AXIS)
    if not points:
        return encode_png(pixels, width, height)
    top = max(max(v for v, _ in points), 1)
    slot = (width - 2 * pad) / len(points)
    bar = max(int(slot * 0.7), 1)
    for i, (volume, negative) in enumerate(points):
        x0 = int(pad + i * slot + (slot - bar) / 2)
        h_vol = round((base - pad) * volume / top)
        h_neg = round((base - pad) * min(negative, volume) / top)
        _fill(pixels, x0, base - h_vol, x0 + bar, base, VOLUME)
        _fill(pixels, x0, base - h_neg, x0 + bar, base, NEGATIVE)
        if i == len(points) - 1:
            for x in (x0 - 2, x0 + bar + 1):
                _fill(pixels, x, pad - 2, x + 1, base, CURRENT_OUTLINE)
    return encode_png(pixels, width, height)


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of a PNG this module wrote (filter 0 only); used by the tests."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise ValueError(f"bad CRC in {kind!r} chunk")
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 3 * width
    return width, height, [raw[i * stride + 1:(i + 1) * stride] for i in range(height)]


__all__ = ["decode_png", "encode_png", "trend_png"]
