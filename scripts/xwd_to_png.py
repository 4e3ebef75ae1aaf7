"""Convert Xvfb's framebuffer file (XWD, ``Xvfb -fbdir``) to a PNG, with the standard library.

Blender 4.3's own ``screen.screenshot`` reads back black under Xvfb's software
OpenGL, so scripts/screenshot.sh takes the picture from the X server instead:
what a person would see on that screen.

    python xwd_to_png.py Xvfb_screen0 out.png
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path


def convert(source: Path, target: Path) -> None:
    data = source.read_bytes()
    header = struct.unpack(">25I", data[:100])
    header_size, version = header[0], header[1]
    if version != 7:
        sys.exit(f"xwd_to_png: {source} is not an XWD v7 file")
    width, height, bits_per_pixel, bytes_per_line = header[4], header[5], header[11], header[12]
    byte_order, ncolors = header[7], header[19]
    if bits_per_pixel != 32:
        sys.exit(f"xwd_to_png: {bits_per_pixel} bits per pixel; run Xvfb with a 24-bit screen")
    pixels = data[header_size + 12 * ncolors :]
    rows = []
    for y in range(height):
        line = pixels[y * bytes_per_line : y * bytes_per_line + 4 * width]
        # 32-bit pixels, least significant byte first (byte_order 0): B, G, R, pad
        order = (2, 1, 0) if byte_order == 0 else (1, 2, 3)
        rgb = bytearray(3 * width)
        for channel, offset in enumerate(order):
            rgb[channel::3] = line[offset::4]
        rows.append(b"\x00" + bytes(rgb))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    target.write_bytes(png)


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
