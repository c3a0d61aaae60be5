"""Split a legacy CSV file into records, on bytes, as RFC 4180 says.

Why bytes: a record the loader cannot read must be kept verbatim, so the parser has to know each
record's exact bytes before anything is decoded. This is safe for every encoding of the contract:
the ASCII bytes that structure a CSV file (``"``, ``,``, CR, LF) never occur inside a multi-byte
character of UTF-8 or GB18030 (their continuation bytes are >= 0x80 in UTF-8, and 0x30-0x39,
0x40-0x7E or >= 0x80 in GB18030), so records and fields can be cut on bytes and decoded afterwards.

The rules, decided where RFC 4180 is silent:

- A record ends at LF or CRLF outside quotes (the contract's line endings). A lone CR is data,
  except a CR that ends the file (a CRLF cut short). A quoted field keeps its line breaks as they
  are (CRLF stays CRLF).
- A field is quoted when it starts with ``"``; inside it ``""`` is one quote. A quote inside an
  unquoted field (``张"伟``) is an ordinary character, kept as it is: the value is stored exactly as
  in the file, as most CSV readers (Python's csv module, Excel) do.
- Text after a closing quote (``"ab"c``) and a quoted field still open at the end of the file
  make the record unreadable (``bad_quoting``): guessing would change the value. When such a
  record had pulled in further lines (a stray quote opens a field that runs on, to the end of
  the file or to the next quote), only its first line is the rejected record, and the lines
  after it are read again as records (``RereadableLines``): one broken line must not take the
  good records after it down with it.
- An empty line (no byte at all before its line break) is not a record: it holds no value, it is
  counted apart (``blank_lines``) and gets no record number. A line of spaces is a record.

Lines are handed around without their LF (``read_lines``). The fast path, a line without any
quote (nearly every line), is one ``bytes.split``; the careful state machine only runs for lines
that hold a quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

_QUOTE = 0x22
_COMMA = 0x2C
_CR = 0x0D

#: Bytes read from the file at a time.
CHUNK_SIZE = 1 << 20


@dataclass(slots=True)
class Record:
    """One record of a file: its exact bytes (without the line break) and its fields.

    ``parsed_fields`` is set when the record went through the careful parser (it held a quote);
    for the others the fields are simply ``content.split(b",")``, computed only when asked.
    ``problem`` is why the record cannot be read at the parsing stage (``None`` when it can).
    """

    content: bytes
    parsed_fields: list[bytes] | None = None
    problem: str | None = None
    #: The lines after the first that a quoted field spanning lines took in (careful parser).
    pulled_lines: list[bytes] | None = None

    @property
    def fields(self) -> list[bytes]:
        if self.parsed_fields is not None:
            return self.parsed_fields
        return self.content.split(b",")

    @property
    def field_count(self) -> int:
        if self.parsed_fields is not None:
            return len(self.parsed_fields)
        return self.content.count(b",") + 1


#: A whole, well-formed record on one line (without its LF and CR): fields separated by
#: commas, each quoted (``""`` inside) or unquoted (not starting with a quote, no comma).
_SINGLE_LINE_RECORD = re.compile(
    rb'(?:"[^"]*(?:""[^"]*)*"|[^,"][^,]*)?(?:,(?:"[^"]*(?:""[^"]*)*"|[^,"][^,]*)?)*'
)


def is_single_line_record(content: bytes) -> bool:
    """True when a line's content is a complete record by itself, with well-formed quoting.

    A line that holds quotes and passes needs no careful parsing: no field spans lines and
    nothing follows a closing quote.
    """
    return _SINGLE_LINE_RECORD.fullmatch(content) is not None


def read_lines(
    stream: BinaryIO, on_chunk: Callable[[bytes], None] | None = None
) -> Iterator[bytes]:
    """The lines of a binary stream without their LF (a CR before it is kept).

    ``on_chunk`` sees every byte of the stream once, in order (for hashing and progress). The
    empty string after a final LF is not a line.
    """

    def blocks() -> Iterator[list[bytes]]:
        carry = b""
        while chunk := stream.read(CHUNK_SIZE):
            if on_chunk is not None:
                on_chunk(chunk)
            parts = (carry + chunk).split(b"\n") if carry else chunk.split(b"\n")
            carry = parts.pop()
            yield parts
        if carry:
            yield [carry]

    return chain.from_iterable(blocks())


class RereadableLines:
    """The lines of a file, where the parser can put back lines to be read again.

    Iterate over it in the record loop and hand it to ``parse_quoted_record``, which pulls
    further lines with ``next`` and, when the record turns out to be broken, puts the lines
    after its first back (``put_back``): they come next, in their order, before the rest of
    the file. (A plain iterator with a stack in front: about 0.1 µs a line.)
    """

    __slots__ = ("_back", "_lines")

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._back: list[bytes] = []
        self._lines = iter(lines)

    def __iter__(self) -> RereadableLines:
        return self

    def __next__(self) -> bytes:
        if self._back:
            return self._back.pop()
        return next(self._lines)

    def put_back(self, lines: list[bytes]) -> None:
        """Read ``lines`` again, first, in their order."""
        self._back.extend(reversed(lines))


def iter_records(lines: Iterator[bytes]) -> Iterator[Record | None]:
    """Records of a file given as an iterator of its lines (from ``read_lines``).

    Yields ``None`` for an empty line (not a record). The caller numbers the records.
    """
    lines = RereadableLines(lines)
    for line in lines:
        if _QUOTE in line:
            yield parse_quoted_record(line, lines)
            continue
        content = line[:-1] if line.endswith(b"\r") else line
        yield Record(content) if content else None


def parse_quoted_record(first_line: bytes, lines: Iterator[bytes]) -> Record:
    """Parse a record that holds a quote, pulling further lines while a quoted field is open.

    When the quoting is broken and further lines were pulled, and ``lines`` is a
    ``RereadableLines``, the record is the first line alone and the pulled lines are put back.
    """
    record = _parse_quoted_record(first_line, lines)
    pulled = record.pulled_lines
    if record.problem is None or not pulled or not isinstance(lines, RereadableLines):
        return record
    lines.put_back(pulled)
    content = first_line[:-1] if first_line.endswith(b"\r") else first_line
    return Record(
        content,
        [content],
        record.problem
        + f"; the record is its first line alone, the {len(pulled)} line(s) the open quote"
        " took in are read again as records",
    )


def _parse_quoted_record(first_line: bytes, lines: Iterator[bytes]) -> Record:
    buf = bytearray(first_line)
    pulled: list[bytes] = []
    end = len(buf) - 1 if buf.endswith(b"\r") else len(buf)
    fields: list[bytes] = []
    problem: str | None = None
    pos = 0
    while True:
        if pos < end and buf[pos] == _QUOTE:
            parts: list[bytes] = []
            pos += 1
            search_from = pos
            closed = False
            while True:
                q = buf.find(b'"', search_from)
                if q < 0:
                    more = next(lines, None)
                    if more is None:
                        break
                    pulled.append(more)
                    search_from = len(buf)
                    buf += b"\n"
                    buf += more
                    continue
                if q + 1 < len(buf) and buf[q + 1] == _QUOTE:
                    parts.append(bytes(buf[pos : q + 1]))
                    pos = q + 2
                    search_from = pos
                    continue
                parts.append(bytes(buf[pos:q]))
                pos = q + 1
                closed = True
                break
            end = len(buf) - 1 if buf.endswith(b"\r") else len(buf)
            if not closed:
                # The quoted field runs to the end of the file: the record is everything left.
                parts.append(bytes(buf[pos:end]))
                fields.append(b"".join(parts))
                problem = problem or (
                    f"bad_quoting: the quoted field {len(fields)} is not closed before the end "
                    "of the file"
                )
                return Record(bytes(buf[:end]), fields, problem, pulled)
            if pos >= end:
                fields.append(b"".join(parts))
                return Record(bytes(buf[:end]), fields, problem, pulled)
            if buf[pos] == _COMMA:
                fields.append(b"".join(parts))
                pos += 1
                continue
            problem = problem or (
                f"bad_quoting: text after the closing quote of field {len(fields) + 1}"
            )
            # Read on as an unquoted field, so that the record still ends where it should.
            comma = buf.find(b",", pos, end)
            stop = end if comma < 0 else comma
            parts.append(bytes(buf[pos:stop]))
            fields.append(b"".join(parts))
            if comma < 0:
                return Record(bytes(buf[:end]), fields, problem, pulled)
            pos = comma + 1
        else:
            comma = buf.find(b",", pos, end)
            if comma < 0:
                fields.append(bytes(buf[pos:end]))
                return Record(bytes(buf[:end]), fields, problem, pulled)
            fields.append(bytes(buf[pos:comma]))
            pos = comma + 1
