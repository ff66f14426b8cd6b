"""Draw the app icon (the shapes of icons/cn.bianmin.township.svg) as PNG and ICO, in pure Python.

The SVG is the source kept in git; the raster sizes the menus and Windows want are made from the
same shapes at build time, so no image tool is needed on the build machine.
"""

from __future__ import annotations

import struct
import zlib

RED = (0xB7, 0x1C, 0x1C, 255)
WHITE = (255, 255, 255, 255)
PINK = (0xFF, 0xCD, 0xD2, 255)
CLEAR = (0, 0, 0, 0)
CHECK = [(20, 36), (27, 43), (44, 28)]  # the tick, in the SVG's 64-unit box


def _in_round_rect(x: float, y: float, left: float, top: float, w: float, h: float, r: float):
    if not (left <= x <= left + w and top <= y <= top + h):
        return False
    cx = min(max(x, left + r), left + w - r)
    cy = min(max(y, top + r), top + h - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _near_tick(x: float, y: float, width: float = 2.5) -> bool:
    for (x1, y1), (x2, y2) in zip(CHECK, CHECK[1:], strict=False):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        if (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= width * width:
            return True
    return False


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    """Return the colour at a point of the 64-unit icon."""
    if not _in_round_rect(x, y, 2, 2, 60, 60, 12):
        return CLEAR
    if _in_round_rect(x, y, 12, 16, 40, 34, 3):
        if _near_tick(x, y):
            return RED
        return PINK if y < 24 else WHITE
    return RED


def png(size: int) -> bytes:
    """Return the icon as a PNG of ``size`` × ``size`` pixels."""
    scale = 64 / size
    rows = b""
    for row in range(size):
        line = bytearray([0])
        for col in range(size):
            line += bytes(pixel((col + 0.5) * scale, (row + 0.5) * scale))
        rows += bytes(line)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def ico(sizes: tuple[int, ...] = (16, 32, 48, 256)) -> bytes:
    """Return a Windows .ico holding PNG images of the given sizes."""
    images = [png(size) for size in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, image in zip(sizes, images, strict=True):
        side = 0 if size >= 256 else size
        out += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return out + b"".join(images)
