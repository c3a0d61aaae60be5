"""Look at an export package before loading anything: which files, which encoding, which header.

Every header of the package is checked before the first row is loaded, so a package with one bad
header loads nothing at all (the user fixes the file and loads the whole package again).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from member_migration.contract import EXPORT_FILES, ExportFile
from member_migration.loader.encoding import (
    GB18030_BOM,
    FileFingerprint,
    fingerprint,
    sniff_bom,
    strip_bom,
)
from member_migration.loader.errors import LoadError
from member_migration.loader.records import iter_records, read_lines

_logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Contract files by lower-cased name: ``POS_MEMBER_CARD.CSV`` from a Windows export is the same
#: file as ``pos_member_card.csv`` (the name as found is kept in ``_source_file``).
_FILES_BY_LOWER_NAME: dict[str, ExportFile] = {f.file_name.lower(): f for f in EXPORT_FILES}


@dataclass(frozen=True)
class PackageFile:
    """One contract file found in the package, fingerprinted, with a valid header."""

    path: Path
    spec: ExportFile
    fingerprint: FileFingerprint
    #: The header's column names in the file's order (each a contract column, once).
    header: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def table(self) -> str:
        return self.spec.table


@dataclass(frozen=True)
class PackagePlan:
    """What a package holds: its contract files (in contract order) and the names it skips."""

    directory: Path
    files: tuple[PackageFile, ...]
    unknown: tuple[str, ...]

    @property
    def sha256(self) -> str:
        """The package's identity: a hash of its contract files' tables and contents.

        The same package copied elsewhere keeps it; names outside the contract do not count.
        """
        lines = sorted(f"{f.table}:{f.fingerprint.sha256}" for f in self.files)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def plan_package(directory: Path) -> PackagePlan:
    """Find, fingerprint and check every contract file of ``directory``; refuse a bad package."""
    directory = Path(directory).expanduser()
    if not directory.exists():
        raise LoadError(
            f"The package folder {directory} does not exist. Give the folder that holds the "
            "export files (pos_member_card.csv, mall_user.csv, ...)."
        )
    if not directory.is_dir():
        raise LoadError(
            f"{directory} is not a folder. Give the folder that holds the export files, not a file."
        )
    directory = directory.resolve()
    entries = sorted(directory.iterdir(), key=lambda p: p.name)
    if not entries:
        raise LoadError(f"The package folder {directory} is empty: there is nothing to load.")

    found: dict[str, list[Path]] = {}
    unknown: list[str] = []
    for entry in entries:
        spec = _FILES_BY_LOWER_NAME.get(entry.name.lower())
        if spec is None or not entry.is_file():
            unknown.append(entry.name + ("/" if entry.is_dir() else ""))
            continue
        found.setdefault(spec.table, []).append(entry)
    for name in unknown:
        _logger.warning("%s: not a file of the export contract, skipped", directory / name)

    expected = ", ".join(f.file_name for f in EXPORT_FILES)
    if not found:
        raise LoadError(
            f"The package folder {directory} holds no file of the export contract (found: "
            f"{', '.join(unknown)}). Expected one or more of: {expected}."
        )
    twice = {table: paths for table, paths in found.items() if len(paths) > 1}
    if twice:
        detail = "; ".join(" and ".join(p.name for p in paths) for paths in twice.values())
        raise LoadError(
            f"The package folder {directory} holds the same file twice under names that differ "
            f"only in case ({detail}). Keep one of them and load again; nothing was loaded."
        )

    # Headers first (cheap), so that a bad one is reported before any large file is hashed.
    headers: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for spec in EXPORT_FILES:
        if spec.table in found:
            path = found[spec.table][0]
            header, problem = _guard(path, lambda p=path, s=spec: _read_header(p, s))
            if problem:
                problems.append(f"{path.name}: {problem}")
            headers[spec.table] = header
    if problems:
        raise LoadError(
            "The package was refused and nothing was loaded, because a header is wrong:\n  - "
            + "\n  - ".join(problems)
            + "\nThe first line of each file must name exactly the contract's columns, once "
            "each, in any order (legacy-exports.md). Fix the header(s) and load the package again."
        )
    files = tuple(
        PackageFile(path, spec, _guard(path, lambda p=path: fingerprint(p)), headers[spec.table])
        for spec in EXPORT_FILES
        if spec.table in found
        for path in found[spec.table]
    )
    return PackagePlan(directory, files, tuple(unknown))


def _guard(path: Path, read: Callable[[], T]) -> T:
    """Run a read of ``path``, turning an OS error into a LoadError for the user."""
    try:
        return read()
    except OSError as exc:
        raise LoadError(
            f"{path.name}: cannot read the file ({exc.strerror or exc}). Check it and load "
            "again; nothing was loaded.",
            file_name=path.name,
        ) from exc


def _unknown_column(name: str, columns: tuple[str, ...]) -> str:
    """An unknown header name as the refusal shows it, with what it most likely is."""
    if name == "":
        return "'' (an unnamed column: an empty header field, or a comma at the end of the line)"
    near = [c for c in columns if c == name.strip(" \t\u3000\ufeff").lower()]
    if near:
        return f"{name!r} (did you mean {near[0]}? names are exact: lower case, no spaces)"
    return repr(name)


def _at_most(names: Iterable[str], shown: int = 10) -> str:
    """Names joined by commas, the first ``shown`` of them and how many more there are."""
    names = list(names)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _read_header(path: Path, spec: ExportFile) -> tuple[tuple[str, ...], str | None]:
    """The header's column names, or the reason the header is not acceptable.

    The contract's column names are ASCII, so the header needs no encoding detection: a
    header that is not ASCII is wrong whatever the encoding (shown with ``\\xNN`` escapes).
    """
    expected = ", ".join(spec.columns)
    with path.open("rb") as stream:
        bom = sniff_bom(stream.read(len(GB18030_BOM)))
        stream.seek(0)
        records = iter_records(strip_bom(read_lines(stream), bom))
        record = next((r for r in records if r is not None), None)
    if record is None:
        return (), f"the file has no header line (it is empty); expected the columns {expected}"
    if b"\r" in record.content:
        return (), (
            "the header line holds a CR that is not followed by LF: the file seems to use CR "
            "alone as its line break (old Mac style), and the contract allows LF or CRLF only. "
            f"Convert its line breaks to LF or CRLF and load again; expected the columns {expected}"
        )
    if record.problem:
        return (), f"the header line cannot be read ({record.problem})"
    header = tuple(f.decode("utf-8", errors="backslashreplace") for f in record.fields)
    missing = [c for c in spec.columns if c not in header]
    unknown = [c for c in header if c not in spec.columns]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    parts = []
    if missing:
        parts.append("missing columns " + ", ".join(missing))
    if unknown:
        parts.append(
            "unknown columns " + _at_most(_unknown_column(c, spec.columns) for c in unknown)
        )
    if duplicated:
        parts.append("duplicated columns " + _at_most(duplicated))
    if parts:
        return header, "header has " + "; ".join(parts) + f" (expected: {expected})"
    return header, None
