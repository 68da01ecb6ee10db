"""US ZIP centroids held compactly: three flat int arrays (ZIP, latitude x 1e4, longitude x 1e4),
sorted by ZIP, looked up by bisection. About 0.5 MB in memory for 42,789 ZIPs.

The table ships as `data/us_zip_centroids.bin` (~190 KB), generated from the `zipcodes` package
(MIT; its coordinates have at most 4 decimals, so the scaled ints are exact):

    python -m conveyor.routing.ziptable            # rewrite the shipped file from `zipcodes`

The file holds, after a 9-byte header (magic b"CZIP\\x01", count as uint32 LE), one zlib stream
of three int32 LE columns, each delta-encoded and stored as 4 byte planes (low bytes of every
value first): neighbouring ZIPs are neighbouring places, so the deltas are small and compress.
If the file is missing or damaged the table is built from `zipcodes` instead (slower, same data).

The table is built at most once per process, behind a lock: the first order and warm_up() may
race from several threads, and only one of them builds it.
"""

from __future__ import annotations

import struct
import sys
import threading
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from itertools import accumulate
from pathlib import Path

DATA = "data/us_zip_centroids.bin"
MAGIC = b"CZIP\x01"
SCALE = 10_000


@dataclass(frozen=True, slots=True)
class ZipTable:
    zips: array  # ZIP as an int, ascending
    lat: array  # latitude x SCALE
    lon: array  # longitude x SCALE

    def point(self, zip5: str) -> tuple[float, float] | None:
        """Centroid of a 5-digit ZIP, or None if unknown."""
        z = int(zip5)
        k = bisect_left(self.zips, z)
        if k == len(self.zips) or self.zips[k] != z:
            return None
        return self.lat[k] / SCALE, self.lon[k] / SCALE

    def __len__(self) -> int:
        return len(self.zips)

    def __iter__(self) -> Iterator[tuple[str, float, float]]:
        for z, lat, lon in zip(self.zips, self.lat, self.lon, strict=True):
            yield f"{z:05d}", lat / SCALE, lon / SCALE


_table: ZipTable | None = None
_lock = threading.Lock()
builds = 0  # how many times this process built the table (tests check it is once)


def table() -> ZipTable:
    """The table, built on first use (thread-safe, at most once)."""
    found = _table
    if found is not None:
        return found
    return _build_once()


def _build_once() -> ZipTable:
    global _table, builds
    with _lock:
        if _table is None:
            _table = _load()
            builds += 1
        return _table


def _load() -> ZipTable:
    try:
        data = resources.files("conveyor.routing").joinpath(DATA).read_bytes()
        return decode(data)
    except (FileNotFoundError, ValueError, zlib.error):
        return from_zipcodes()


def from_zipcodes() -> ZipTable:
    """Build the table from the `zipcodes` package (imported here only: it holds 42k dicts)."""
    import zipcodes

    rows = sorted(
        {(int(z["zip_code"]), round(float(z["lat"]) * SCALE), round(float(z["long"]) * SCALE))
         for z in zipcodes.list_all() if z.get("lat") and z.get("long")}
    )
    return ZipTable(*(array("i", column) for column in zip(*rows, strict=True)))


def encode(t: ZipTable) -> bytes:
    planes = b"".join(_planes(_deltas(column)) for column in (t.zips, t.lat, t.lon))
    return MAGIC + struct.pack("<I", len(t)) + zlib.compress(planes, 9)


def decode(data: bytes) -> ZipTable:
    if data[:5] != MAGIC or len(data) < 9:
        raise ValueError("not a ZIP centroid table")
    (count,) = struct.unpack("<I", data[5:9])
    raw = zlib.decompress(data[9:])
    if len(raw) != 12 * count:
        raise ValueError("ZIP centroid table is truncated")
    size = 4 * count
    columns = [_unplane(raw[k * size : (k + 1) * size]) for k in range(3)]
    return ZipTable(*(array("i", accumulate(column)) for column in columns))


def _deltas(column: array) -> array:
    return array("i", [b - a for a, b in zip([0, *column[:-1]], column, strict=True)])


def _planes(column: array) -> bytes:
    """int32 LE values as 4 planes: every value's byte 0, then every byte 1, ..."""
    raw = _little_endian(column).tobytes()
    return b"".join(raw[k::4] for k in range(4))


def _unplane(planes: bytes) -> array:
    n = len(planes) // 4
    raw = bytearray(4 * n)
    for k in range(4):
        raw[k::4] = planes[k * n : (k + 1) * n]
    return _little_endian(array("i", bytes(raw)))


def _little_endian(column: array) -> array:
    if sys.byteorder == "big":
        column = array("i", column)
        column.byteswap()
    return column


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).with_name("data") / "us_zip_centroids.bin"
    data = encode(from_zipcodes())
    target.write_bytes(data)
    print(f"wrote {target} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
