"""A lossless PNG of the screen, re-encoded only where the screen changed.

The image is an 8-bit RGB PNG whose rows carry no filter (desktop pixels repeat
exactly; filters only turn that into noise) deflated by ISA-L at level 1, chosen
by measurement (bench/desktop/encoders.py, docs/benchmarks.md). The deflate stream
is cut into bands of BAND_ROWS rows, each compressed by a fresh compressor and
ended with a sync flush: a band's compressed bytes then depend on that band alone
and end on a byte boundary, so changed bands are compressed again and the stream
is re-assembled from the kept bytes of the others (RFC 1951: a stream is any
sequence of blocks, the last one marked final; RFC 1950 wraps it with a 2-byte
header and the Adler-32 of the whole uncompressed data). Cutting costs ~1 % of
size at 32 rows per band; a 64x64 change re-encodes 2-3 bands instead of 25.

Written here because no maintained encoder lets us pick the deflate
implementation and the row filter together, nor keep a band's bytes; the chunk
format itself is a few lines.
"""

import struct
import zlib

import cv2
import numpy
from isal import isal_zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFLATE_LEVEL = 1  # ISA-L levels are 0-3; 1 is its fast one with useful matching
BAND_ROWS = 32
ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KiB window, "fastest" level hint; header checksum valid (0x7801 % 31 == 0)
FINAL_EMPTY_BLOCK = b"\x03\x00"  # a final fixed-Huffman block holding only end-of-block
ADLER_MODULUS = 65521


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", isal_zlib.crc32(data, zlib.crc32(kind)))


def _rgb_rows(bgra: numpy.ndarray, rows: numpy.ndarray) -> None:
    """Fill `rows` (height x (1 + width*3), column 0 the filter byte) with the RGB pixels of `bgra`."""
    height, width = bgra.shape[:2]
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB).reshape(height, width * 3)


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of A followed by B, from A's, B's and B's length (RFC 1950: s1 = 1 + the sum of the
    bytes, s2 = the sum of the s1 after each byte, both modulo 65521, checksum s2 * 65536 + s1). After A,
    every s1 within B is B's own plus A's s1 - 1, so s1 = s1A + s1B - 1 and s2 = s2A + s2B + len(B) * (s1A - 1)."""
    s1a, s2a, s1b, s2b = first & 0xFFFF, first >> 16, second & 0xFFFF, second >> 16
    return (s1a + s1b - 1) % ADLER_MODULUS | ((s2a + s2b + second_length * (s1a - 1)) % ADLER_MODULUS) << 16


def png_from_bgra(bgra: numpy.ndarray) -> bytes:
    """One PNG of a whole frame, encoded from scratch (OCR's save_to_downloads copy)."""
    return BandedPng(*bgra.shape[1::-1]).update(bgra, None)


class BandedPng:
    """The PNG of a frame of fixed size, kept up to date band by band."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.rows = numpy.empty((height, 1 + width * 3), dtype=numpy.uint8)
        self.bands: list[bytes] = [b""] * -(-height // BAND_ROWS)
        self.band_adlers: list[int] = [1] * len(self.bands)  # each band's rows' own Adler-32
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # depth 8, colour type RGB
        self.head = PNG_SIGNATURE + _chunk(b"IHDR", header)

    def update(self, bgra: numpy.ndarray, changed_bands: set[int] | None) -> bytes:
        """The PNG of `bgra`, which differs from the previous frame only in `changed_bands` (None: anywhere)."""
        if bgra.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {bgra.shape[1]}x{bgra.shape[0]}, the PNG {self.width}x{self.height}")
        whole = changed_bands is None
        if whole:
            _rgb_rows(bgra, self.rows)  # one conversion of the whole frame, not one per band
        for band in range(len(self.bands)) if whole else changed_bands:
            top, bottom = band * BAND_ROWS, min(self.height, (band + 1) * BAND_ROWS)
            if not whole:
                _rgb_rows(bgra[top:bottom], self.rows[top:bottom])
            compressor = isal_zlib.compressobj(DEFLATE_LEVEL, isal_zlib.DEFLATED, -15)
            self.bands[band] = compressor.compress(self.rows[top:bottom]) + compressor.flush(isal_zlib.Z_SYNC_FLUSH)
            self.band_adlers[band] = isal_zlib.adler32(self.rows[top:bottom])
        adler = self.band_adlers[0]
        for band in range(1, len(self.bands)):
            length = (min(self.height, (band + 1) * BAND_ROWS) - band * BAND_ROWS) * self.rows.shape[1]
            adler = adler32_combine(adler, self.band_adlers[band], length)
        idat = b"".join([ZLIB_HEADER, *self.bands, FINAL_EMPTY_BLOCK, struct.pack(">I", adler)])
        return b"".join([self.head, _chunk(b"IDAT", idat), _chunk(b"IEND", b"")])


def bands_of_rows(top: int, bottom: int) -> range:
    """The bands holding rows top..bottom-1."""
    return range(top // BAND_ROWS, -(-bottom // BAND_ROWS))
