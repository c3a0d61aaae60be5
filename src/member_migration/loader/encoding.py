"""Which encoding a legacy file is in, decided from its bytes (nothing in the file says so).

The contract (legacy-exports.md) allows UTF-8, UTF-8 with a byte-order mark and GB18030, and
says how to tell them apart:

1. a UTF-8 byte-order mark means UTF-8 (``utf-8-sig``); so does the GB18030 mark
   (``84 31 95 33``) mean GB18030, for completeness;
2. a file that is valid UTF-8 from end to end is UTF-8 (a pure ASCII file included);
3. otherwise the file is UTF-8 *with damaged records* when most (strictly more than half) of its
   records that hold non-ASCII bytes are valid UTF-8, and GB18030 when not. A UTF-8 file with a
   few multi-byte characters cut in half is therefore read as UTF-8 and those records are
   rejected one by one, instead of the whole file being decoded into GB18030 mojibake.

Decoding is always strict: a byte that is invalid in the detected encoding makes its record a
reject (see ``loader.load``), it never disappears or turns into U+FFFD.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from member_migration.loader.records import (
    RereadableLines,
    is_single_line_record,
    parse_quoted_record,
    read_lines,
)

UTF8_BOM = codecs.BOM_UTF8
GB18030_BOM = b"\x84\x31\x95\x33"

#: Names used in the manifest and the summary, and the Python codec that decodes records.
UTF8 = "utf-8"
UTF8_SIG = "utf-8-sig"
GB18030 = "gb18030"
CODEC_FOR: dict[str, str] = {UTF8: "utf-8", UTF8_SIG: "utf-8", GB18030: "gb18030"}

_CHUNK = 1 << 20
_QUOTE = ord('"')


@dataclass(frozen=True)
class FileFingerprint:
    """What a first pass over a file learns: its sha256, size and encoding."""

    sha256: str
    size: int
    encoding: str
    bom: bytes
    #: Records holding non-ASCII bytes, and how many of them are valid UTF-8 (only counted when
    #: the file is not valid UTF-8 as a whole; both 0 otherwise).
    non_ascii_records: int = 0
    valid_utf8_records: int = 0


def fingerprint(path: Path) -> FileFingerprint:
    """Hash the file and detect its encoding (one pass, plus one more for damaged UTF-8)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    valid_utf8 = True
    size = 0
    head = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if not head:
                head = chunk[:4]
            digest.update(chunk)
            size += len(chunk)
            if valid_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid_utf8 = False
    if valid_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid_utf8 = False
    sha = digest.hexdigest()
    bom = sniff_bom(head)
    if bom:
        return FileFingerprint(sha, size, UTF8_SIG if bom == UTF8_BOM else GB18030, bom)
    if valid_utf8:
        return FileFingerprint(sha, size, UTF8, b"")
    non_ascii, valid = _count_utf8_records(path)
    encoding = UTF8 if valid * 2 > non_ascii else GB18030
    return FileFingerprint(sha, size, encoding, b"", non_ascii, valid)


def sniff_bom(head: bytes) -> bytes:
    """The byte-order mark the file's first bytes start with (UTF-8 or GB18030), or b""."""
    for bom in (UTF8_BOM, GB18030_BOM):
        if head.startswith(bom):
            return bom
    return b""


def _count_utf8_records(path: Path) -> tuple[int, int]:
    """Records holding non-ASCII bytes, and how many of those are valid UTF-8."""
    non_ascii = 0
    valid = 0
    with path.open("rb") as stream:
        lines = RereadableLines(read_lines(stream))
        for line in lines:
            # A record with a quote may span lines: let the parser collect it.
            content = line
            if _QUOTE in line and not is_single_line_record(line.removesuffix(b"\r")):
                content = parse_quoted_record(line, lines).content
            if content.isascii():
                continue
            non_ascii += 1
            try:
                content.decode("utf-8")
            except UnicodeDecodeError:
                continue
            valid += 1
    return non_ascii, valid


def strip_bom(lines: Iterator[bytes], bom: bytes) -> Iterator[bytes]:
    """The file's lines with the byte-order mark removed from the first one (and only there)."""
    first = next(lines, None)
    if first is None:
        return iter(())
    if bom and first.startswith(bom):
        first = first[len(bom) :]
    return chain((first,), lines)


def readable_text(raw: bytes, encoding: str) -> str:
    """Bytes as text for humans: undecodable bytes as ``\\xNN``, NUL as ``\\x00``."""
    text = raw.decode(CODEC_FOR[encoding], errors="backslashreplace")
    return text.replace("\x00", "\\x00")
