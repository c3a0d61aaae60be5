"""The loader (`member-migration load DIR`) against a real PostgreSQL.

Every test writes a small package by hand in ``tmp_path`` (no generator), loads it with
``load_package`` into a fresh database and checks what users rely on: values arrive byte for
byte, unreadable records are kept verbatim with their number, a bad header loads nothing,
a package is one batch, loading twice changes nothing, a killed load leaves whole files only.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
import pytest

from conftest import run_cli
from member_migration.contract import FILES_BY_TABLE
from member_migration.loader import ADVISORY_LOCK_KEY, LoadError, LoadSummary, load_package
from member_migration.loader.encoding import CODEC_FOR, GB18030_BOM, fingerprint
from member_migration.loader.load import _reject_reason, _stream_rows
from member_migration.loader.records import iter_records, read_lines

CARD = FILES_BY_TABLE["pos_member_card"]
LOG = FILES_BY_TABLE["pos_points_log"]
USER = FILES_BY_TABLE["mall_user"]

# -- helpers -----------------------------------------------------------------------------------


def csv_field(value: str) -> str:
    """RFC 4180: quote a value holding a comma, quote, CR or LF; double its quotes."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]], newline: str = "\n") -> str:
    lines = [",".join(csv_field(v) for v in row) for row in [header, *rows]]
    return "".join(line + newline for line in lines)


def card(card_no: str, **values: str) -> list[str]:
    """A pos_member_card row in contract order; columns not given are plain valid values."""
    defaults = {
        "card_no": card_no,
        "member_name": "张伟",
        "mobile": "13800138000",
        "id_card_no": "11010519491231002X",
        "gender": "男",
        "birthday": "1990-01-05",
        "open_date": "2019-03-01",
        "store_code": "SH001",
        "tier_name": "金卡",
        "points": "1234",
        "stored_value": "12.50",
        "status": "A",
        "nickname": "小明",
        "province": "北京市",
        "city": "北京市",
        "updated_at": "2024-01-01 12:00:00",
    }
    defaults.update(values)
    return [defaults[c] for c in CARD.columns]


def log_row(log_id: int, card_no: str = "0000000001") -> list[str]:
    return [str(log_id), card_no, "EARN", "5", "2024-01-01 10:00", f"T{log_id}"]


def write_package(directory: Path, files: dict[str, bytes | str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (directory / name).write_bytes(data)
    return directory


def query(conninfo: str, sql: str, params: Sequence | None = None) -> list[tuple]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def raw_values(conninfo: str, table: str, batch_id: int | None = None) -> list[tuple]:
    """The contract columns of a raw table, in record order."""
    columns = ", ".join(FILES_BY_TABLE[table].columns)
    where = "" if batch_id is None else f"where _batch_id = {int(batch_id)}"
    return query(
        conninfo, f"select {columns} from raw.{table} {where} order by _batch_id, _record_number"
    )


def manifest(conninfo: str) -> list[tuple]:
    return query(
        conninfo,
        "select batch_id, source_table, encoding, records_read, records_loaded, "
        "records_rejected from raw.batch_manifest order by batch_id, source_table",
    )


def raw_exists(conninfo: str) -> bool:
    return query(conninfo, "select to_regclass('raw.batch_manifest') is not null")[0][0]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll a database condition (not a sleep-and-hope: the test fails if it never holds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# Every dirty form of legacy-exports.md that the loader must keep exactly as it is. The first
# two rows need no quoting (the loader's fast path), the others do (its careful parser).
# A test below checks that split.
DIRTY_CARDS = [
    card(
        "0001234567",  # leading zeros
        member_name="\u3000张 伟\u3000",  # full-width spaces, inner space
        mobile="１３８００１３８０００",  # full-width digits
        nickname="小明😀🀄𠀀",  # emoji and a CJK character outside the BMP
        tier_name="金卡  ",  # trailing spaces
        stored_value="¥123.45",
        city=" 深圳市 ",  # leading and trailing spaces
        store_code="a\\tb\tc",  # a backslash sequence and a real tab
    ),
    card(
        "VIP00012345",
        member_name="\\N",
        mobile="NULL",
        id_card_no="null",
        gender="N/A",
        birthday="",  # empty stays '' (never NULL)
        nickname="",
        province="北京/北京",
        stored_value="-¥12.50",
        points="1234.0",
    ),
    card(
        "00000000000",
        points="1,234",  # embedded comma
        nickname='他说"你好", 然后\n换行',  # doubled quotes, comma, embedded LF
        member_name="张\u00a0伟 ",  # no-break space, trailing space
        mobile="\u3000１３８-0013-8000 ",
    ),
    card(
        "0000000004",
        nickname='""',  # a value made of two quote characters
        updated_at="2024-01-01\r\n12:00",  # embedded CRLF inside a quoted field
        member_name="\\N",
        points="abc",
        store_code="c\rd",  # a lone CR
    ),
]


# -- the parser and the encoding detection, without a database --------------------------------


def parse(data: bytes) -> list[tuple[bytes, list[bytes], str | None] | None]:
    out = []
    for record in iter_records(read_lines(io.BytesIO(data))):
        out.append(None if record is None else (record.content, record.fields, record.problem))
    return out


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b"a,b\nc,d\n", [(b"a,b", [b"a", b"b"], None), (b"c,d", [b"c", b"d"], None)], id="lf"
        ),
        pytest.param(
            b"a,b\r\nc,d",
            [(b"a,b", [b"a", b"b"], None), (b"c,d", [b"c", b"d"], None)],
            id="crlf-and-no-final-newline",
        ),
        pytest.param(
            b'"x\r\ny","a""b",""\n',
            [(b'"x\r\ny","a""b",""', [b"x\r\ny", b'a"b', b""], None)],
            id="quoted-crlf-doubled-quote-empty",
        ),
        pytest.param(
            b'a,"b,\nc"\r\n', [(b'a,"b,\nc"', [b"a", b"b,\nc"], None)], id="quoted-lf-and-comma"
        ),
        pytest.param(
            b'\xe5\xbc\xa0"x,y\n',
            [(b'\xe5\xbc\xa0"x,y', [b'\xe5\xbc\xa0"x', b"y"], None)],
            id="quote-inside-unquoted-field-is-data",
        ),
        pytest.param(
            b"a,b\r\n\n\r\nc,\n",
            [(b"a,b", [b"a", b"b"], None), None, None, (b"c,", [b"c", b""], None)],
            id="empty-lines-are-not-records",
        ),
        pytest.param(
            b"a\rb,c\r",
            [(b"a\rb,c", [b"a\rb", b"c"], None)],
            id="lone-cr-is-data-cr-at-eof-is-a-line-end",
        ),
    ],
)
def test_parser_splits_records_as_rfc_4180_says(data, expected):
    assert parse(data) == expected


REREAD = (
    "; the record is its first line alone, the {} line(s) the open quote took in are read "
    "again as records"
)


@pytest.mark.parametrize(
    ("data", "problem", "after"),
    [
        pytest.param(
            b'"ab"c,d\nx,y\n',
            "bad_quoting: text after the closing quote of field 1",
            [(b"x,y", [b"x", b"y"], None)],
            id="text-after-closing-quote",
        ),
        pytest.param(
            b'x,"ab\ncd\ne,f\n',
            "bad_quoting: the quoted field 2 is not closed before the end of the file"
            + REREAD.format(2),
            [(b"cd", [b"cd"], None), (b"e,f", [b"e", b"f"], None)],
            id="stray-quote-open-to-the-end",
        ),
        pytest.param(
            b'x,"ab\ncd\ne,"f\ng",h\n',
            "bad_quoting: text after the closing quote of field 2" + REREAD.format(2),
            [(b"cd", [b"cd"], None), (b'e,"f\ng",h', [b"e", b"f\ng", b"h"], None)],
            id="stray-quote-closed-by-a-later-field",
        ),
    ],
)
def test_parser_flags_broken_quoting_and_keeps_the_next_records(data, problem, after):
    """A broken record never takes the good records after it down with it: when a stray quote
    pulled in further lines, the record is its first line and those lines are read again."""
    first, *rest = parse(data)
    assert first[2] == problem
    assert first[0] == data.split(b"\n")[0]
    assert rest == after


def test_encoding_is_detected_by_the_majority_of_non_ascii_records(tmp_path):
    good = "1,张伟,北京市\n" * 20
    # UTF-8 with one record whose character was cut in half: still UTF-8 (GB18030 would decode
    # the cut bytes into a wrong character instead of rejecting them).
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(good.encode() + b"2," + "李".encode()[:2] + b",x\n")
    assert "李".encode()[:2].decode("gb18030")  # proof that GB18030 would accept them
    # GB18030 with one record that happens to be valid UTF-8 as well: still GB18030.
    gb = tmp_path / "gb.csv"
    gb.write_bytes(good.encode("gb18030") + "3,é\n".encode())
    bom = tmp_path / "bom.csv"
    bom.write_bytes(codecs.BOM_UTF8 + good.encode())
    gb_bom = tmp_path / "gb_bom.csv"
    gb_bom.write_bytes(GB18030_BOM + good.encode("gb18030"))
    plain = tmp_path / "ascii.csv"
    plain.write_bytes(b"a,b\n")

    assert (fingerprint(damaged).encoding, fingerprint(damaged).non_ascii_records) == ("utf-8", 21)
    assert fingerprint(damaged).valid_utf8_records == 20
    assert fingerprint(gb).encoding == "gb18030"
    assert fingerprint(bom).encoding == "utf-8-sig"
    assert fingerprint(gb_bom).encoding == "gb18030"
    assert fingerprint(plain).encoding == "utf-8"


def reference_rows(data: bytes, encoding: str, width: int) -> tuple[list, list]:
    """What the careful parser alone makes of a file: (rows, rejects), record by record."""
    rows, rejects = [], []
    records = iter_records(read_lines(io.BytesIO(data)))
    next(r for r in records if r is not None)  # the header
    number = 0
    for record in records:
        if record is None:
            continue
        number += 1
        reason = _reject_reason(record, CODEC_FOR[encoding], encoding, width)
        if reason is None:
            rows.append((number, [f.decode(CODEC_FOR[encoding]) for f in record.fields]))
        else:
            rejects.append((number, reason, record.content))
    return rows, rejects


def stream_rows(data: bytes, encoding: str, width: int) -> tuple[list, list]:
    """What the loader sends to COPY for a file: (rows, rejects), COPY escapes undone."""
    written: list[bytes] = []
    counts = _stream_rows(
        read_lines(io.BytesIO(data)),
        written.append,
        encoding=encoding,
        width=width,
        lineage=(b"\t", b"\n"),
        on_progress=lambda records: None,
    )
    unescape = {"\\\\": "\\", "\\t": "\t", "\\r": "\r", "\\n": "\n"}
    rows = []
    for line in b"".join(written).decode("utf-8").split("\n")[:-1]:
        *values, number = line.split("\t")
        values = [re.sub(r"\\[\\trn]", lambda m: unescape[m.group()], v) for v in values]
        rows.append((int(number), values))
    return rows, counts.rejects


@pytest.mark.parametrize("seed", range(40))
def test_the_loaders_fast_paths_agree_with_the_careful_parser(seed):
    """Random files of nasty fields: the bytes-only path (no quote), the csv-module path (whole
    quoted line) and the careful parser must give the same values and the same rejects."""
    rnd = random.Random(seed)
    pieces = ["a", "张", "😀", " ", '"', '""', ",", "\r", "\n", "\r\n", "\\", "\t", "\x00"]
    width = 3
    encoding = rnd.choice(["utf-8", "gb18030"])
    lines = [",".join(["c1", "c2", "c3"])]
    for _ in range(60):
        fields = [
            "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 4)))
            for _ in range(rnd.choice([3, 3, 3, 2, 4]))
        ]
        if rnd.random() < 0.7:  # mostly well quoted, sometimes raw (broken on purpose)
            fields = [csv_field(f) if rnd.random() < 0.8 else f for f in fields]
        lines.append(",".join(fields))
    data = rnd.choice(["\n", "\r\n"]).join(lines).encode(encoding)
    if rnd.random() < 0.5:  # a cut character or a stray byte
        at = rnd.randrange(len(data))
        data = data[:at] + rnd.choice([b"\xe5\xbc", b"\xff", b"\x80"]) + data[at:]

    assert stream_rows(data, encoding, width) == reference_rows(data, encoding, width)


# -- loading -----------------------------------------------------------------------------------


def test_every_dirty_form_survives_the_load_byte_for_byte(tmp_path, fresh_db):
    package = write_package(
        tmp_path / "p", {"pos_member_card.csv": csv_text(CARD.columns, DIRTY_CARDS)}
    )

    summary = load_package(fresh_db, package)

    assert summary.changed and summary.batch_id == 1
    assert raw_values(fresh_db, "pos_member_card") == [tuple(row) for row in DIRTY_CARDS]
    # Nothing became NULL, and the bytes in the database are the bytes of the file.
    assert query(
        fresh_db,
        "select count(*) from raw.pos_member_card where birthday is null or nickname is null",
    ) == [(0,)]
    stored = query(fresh_db, "select nickname from raw.pos_member_card order by _record_number")
    assert [s[0].encode("utf-8") for s in stored] == [r[12].encode("utf-8") for r in DIRTY_CARDS]
    lineage = query(
        fresh_db,
        "select _batch_id, _source_file, _record_number from raw.pos_member_card "
        "order by _record_number",
    )
    assert lineage == [(1, "pos_member_card.csv", n) for n in (1, 2, 3, 4)]


def test_dirty_rows_cover_both_the_fast_path_and_the_quoted_path():
    needs_quotes = [any(csv_field(v) != v for v in row) for row in DIRTY_CARDS]
    assert needs_quotes == [False, False, True, True]


def test_header_in_any_order_maps_values_by_column_name(tmp_path, fresh_db):
    header = list(reversed(CARD.columns))
    rows = [list(reversed(row)) for row in DIRTY_CARDS]
    package = write_package(tmp_path / "p", {"pos_member_card.csv": csv_text(header, rows)})

    load_package(fresh_db, package)

    assert raw_values(fresh_db, "pos_member_card") == [tuple(row) for row in DIRTY_CARDS]


def test_utf8_utf8_bom_and_gb18030_versions_give_identical_raw_text(tmp_path, fresh_db):
    text = csv_text(CARD.columns, DIRTY_CARDS)
    versions = {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": codecs.BOM_UTF8 + text.encode("utf-8"),
        "gb18030": text.encode("gb18030"),
    }
    assert len({v for v in versions.values()}) == 3  # three different files
    for encoding, data in versions.items():
        load_package(fresh_db, write_package(tmp_path / encoding, {"pos_member_card.csv": data}))

    assert [(b, e) for b, _, e, *_ in manifest(fresh_db)] == [
        (1, "utf-8"),
        (2, "utf-8-sig"),
        (3, "gb18030"),
    ]
    expected = [tuple(row) for row in DIRTY_CARDS]
    for batch in (1, 2, 3):
        assert raw_values(fresh_db, "pos_member_card", batch) == expected
    # The byte-order mark is stripped from the header only: the first column is card_no.
    assert query(fresh_db, "select count(*) from raw.pos_member_card where card_no like '﻿%'") == [
        (0,)
    ]


def test_crlf_and_lf_files_give_identical_text_and_keep_embedded_line_breaks(tmp_path, fresh_db):
    rows = [card("1", nickname="a\r\nb"), card("2", nickname="c\nd"), card("3")]
    lf = csv_text(CARD.columns, rows, newline="\n")
    crlf = csv_text(CARD.columns, rows, newline="\r\n")
    assert "a\r\nb" in lf and "c\nd" in crlf
    load_package(fresh_db, write_package(tmp_path / "lf", {"pos_member_card.csv": lf}))
    load_package(fresh_db, write_package(tmp_path / "crlf", {"pos_member_card.csv": crlf}))

    assert raw_values(fresh_db, "pos_member_card", 1) == [tuple(r) for r in rows]
    assert raw_values(fresh_db, "pos_member_card", 2) == [tuple(r) for r in rows]
    assert query(
        fresh_db, "select count(*) from raw.pos_member_card where nickname like '%\r'"
    ) == [(0,)]


BROKEN_RECORDS = {
    # a multi-byte character cut in half by an old export tool (GB18030 would decode it)
    "bad-utf8-byte": (
        "2,张".encode() + "伟".encode()[:2] + b"," + ",".join(card("2")[2:]).encode(),
        "undecodable_bytes: byte(s) e4 bc at byte 6 of the record are not valid utf-8",
    ),
    "too-few-fields": (b"2,only,three", "wrong_field_count: 3 fields, the header has 16"),
    "too-many-fields": (
        ",".join([*card("2"), "extra"]).encode(),
        "wrong_field_count: 17 fields, the header has 16",
    ),
    "nul-byte": (
        ",".join(card("2")).encode().replace(b"SH001", b"SH\x00001"),
        "nul_byte: a NUL byte at byte",
    ),
    "text-after-closing-quote": (
        b'2,"abc"def,' + ",".join(card("2")[2:]).encode(),
        "bad_quoting: text after the closing quote of field 2",
    ),
    # a quote that never closes on its line runs on to the next quote of the file (the good
    # record 4's quoted nickname): only its own line is rejected, records 3 and 4 still load
    "stray-quote": (
        b'2,"abc,' + ",".join(card("2")[2:]).encode(),
        "bad_quoting: text after the closing quote of field 2; the record is its first line "
        "alone, the 2 line(s) the open quote took in are read again as records",
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN_RECORDS))
def test_a_broken_record_is_rejected_verbatim_and_the_rest_loads(tmp_path, fresh_db, kind):
    broken, reason = BROKEN_RECORDS[kind]
    good = [card("1"), card("3"), card("4", nickname="多行\n昵称")]
    header_and_first = csv_text(CARD.columns, good[:1]).encode()
    rest = csv_text(CARD.columns, good[1:]).encode().split(b"\n", 1)[1]  # without header
    package = write_package(
        tmp_path / "p", {"pos_member_card.csv": header_and_first + broken + b"\n" + rest}
    )

    summary = load_package(fresh_db, package)

    (file,) = summary.files
    assert (file.encoding, file.records_read, file.records_loaded, file.records_rejected) == (
        "utf-8",
        4,
        3,
        1,
    )
    assert query(fresh_db, "select _record_number from raw.pos_member_card order by 1") == [
        (1,),
        (3,),
        (4,),
    ]
    assert raw_values(fresh_db, "pos_member_card") == [tuple(r) for r in good]
    rejects = query(
        fresh_db,
        "select batch_id, source_table, source_file, record_number, reason, raw_bytes, raw_text "
        "from raw.load_rejects",
    )
    assert len(rejects) == 1
    batch, table, source_file, number, got_reason, raw_bytes, raw_text = rejects[0]
    assert (batch, table, source_file, number) == (1, "pos_member_card", "pos_member_card.csv", 2)
    assert got_reason.startswith(reason)
    assert bytes(raw_bytes) == broken
    assert "\x00" not in raw_text and raw_text.startswith("2,")
    # records in the file = loaded + rejected, from the manifest
    assert manifest(fresh_db) == [(1, "pos_member_card", "utf-8", 4, 3, 1)]


def test_the_load_command_names_each_rejected_record_and_says_what_to_do(
    tmp_path, fresh_db, cli_env
):
    first = csv_text(CARD.columns, [card("1")]).encode()
    rest = csv_text(CARD.columns, [card("4"), card("5")]).encode().split(b"\n", 1)[1]
    broken = [BROKEN_RECORDS["too-few-fields"][0], BROKEN_RECORDS["bad-utf8-byte"][0]]
    package = write_package(
        tmp_path / "p", {"pos_member_card.csv": first + b"\n".join(broken) + b"\n" + rest}
    )
    dbname = psycopg.conninfo.conninfo_to_dict(fresh_db)["dbname"]

    result = run_cli("load", str(package), env={**cli_env, "PGDATABASE": dbname})

    out = " ".join(result.stdout.split())  # rich wraps long lines
    assert "Records rejected by the loader (first 2 of 2)" in out
    assert re.search(r"pos_member_card\.csv\s*│\s*2\s*│\s*wrong_field_count", out)
    assert re.search(r"pos_member_card\.csv\s*│\s*3\s*│\s*undecodable_bytes", out)
    assert "kept verbatim in raw.load_rejects" in out and "corrected export" in out


def test_empty_lines_are_not_records_and_do_not_shift_record_numbers(tmp_path, fresh_db):
    text = csv_text(CARD.columns, [card("1"), card("2")], newline="\r\n")
    text = text.replace("\r\n", "\r\n\r\n", 2) + "\n"  # empty lines after header and record 1
    package = write_package(tmp_path / "p", {"pos_member_card.csv": text})

    summary = load_package(fresh_db, package)

    assert summary.files[0].blank_lines == 3
    assert query(
        fresh_db, "select card_no, _record_number from raw.pos_member_card order by 2"
    ) == [
        ("1", 1),
        ("2", 2),
    ]
    assert query(fresh_db, "select count(*) from raw.load_rejects") == [(0,)]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        pytest.param(
            [c for c in USER.columns if c != "email"], ["missing columns email"], id="missing"
        ),
        pytest.param([*USER.columns, "vip_flag"], ["unknown columns 'vip_flag'"], id="unknown"),
        pytest.param([*USER.columns, "phone"], ["duplicated columns phone"], id="duplicated"),
        pytest.param(
            ["userid", *USER.columns[1:]],
            ["missing columns user_id", "unknown columns 'userid'"],
            id="misspelt",
        ),
        pytest.param(
            [*USER.columns, ""],
            ["unknown columns '' (an unnamed column", "comma at the end of the line"],
            id="trailing-comma",
        ),
        pytest.param(
            ["USER_ID", " email", *USER.columns[1:2], *USER.columns[3:]],
            [
                "missing columns user_id, email",
                "'USER_ID' (did you mean user_id?",
                "' email' (did you mean email?",
            ],
            id="case-and-spaces",
        ),
    ],
)
def test_a_wrong_header_refuses_the_package_and_loads_nothing(tmp_path, fresh_db, header, named):
    good_cards = csv_text(CARD.columns, [card("1")])
    bad_users = ",".join(header) + "\n" + ",".join(["1"] * len(header)) + "\n"
    package = write_package(
        tmp_path / "p", {"pos_member_card.csv": good_cards, "mall_user.csv": bad_users}
    )

    with pytest.raises(LoadError) as refused:
        load_package(fresh_db, package)

    message = str(refused.value)
    assert "mall_user.csv" in message and "nothing was loaded" in message
    for part in named:
        assert part in message
    assert "pos_member_card.csv" not in message  # the good file is not blamed
    assert not raw_exists(fresh_db)


def test_a_file_with_cr_line_breaks_or_a_long_bad_header_gets_a_short_clear_refusal(
    tmp_path, fresh_db
):
    """A CR-only file reads as one long header line; the refusal says what is wrong in a few
    lines instead of listing every value of the file as an unknown column."""
    rows = [",".join(USER.columns)] + [",".join([str(n)] * len(USER.columns)) for n in range(500)]
    cr_only = write_package(tmp_path / "cr", {"mall_user.csv": "\r".join(rows) + "\r"})
    extra = [*USER.columns, *(f"extra_{n}" for n in range(15))]
    wide = write_package(
        tmp_path / "wide", {"mall_user.csv": ",".join(extra) + "\n" + ",".join(extra) + "\n"}
    )

    with pytest.raises(LoadError) as cr_refused:
        load_package(fresh_db, cr_only)
    with pytest.raises(LoadError) as wide_refused:
        load_package(fresh_db, wide)

    cr_message, wide_message = str(cr_refused.value), str(wide_refused.value)
    assert "mall_user.csv" in cr_message and "CR alone as its line break" in cr_message
    assert "Convert its line breaks to LF or CRLF" in cr_message
    assert len(cr_message) < 1000, cr_message[:300]
    assert "'extra_9' and 5 more" in wide_message and "extra_10" not in wide_message
    assert not raw_exists(fresh_db)


def test_loading_the_same_package_twice_changes_nothing_whatever_the_path(tmp_path, fresh_db):
    files = {
        "pos_member_card.csv": csv_text(CARD.columns, DIRTY_CARDS),
        "pos_points_log.csv": csv_text(LOG.columns, [log_row(1), log_row(2)]),
    }
    first = load_package(fresh_db, write_package(tmp_path / "first", files))
    before = (manifest(fresh_db), query(fresh_db, "select count(*) from raw.pos_member_card"))

    again = load_package(fresh_db, write_package(tmp_path / "copy-elsewhere", files))

    assert first.changed and not again.changed
    assert again.batch_id is None
    assert all(f.skipped and f.batch_id == 1 for f in again.files)
    assert again.message().startswith("Nothing changed")
    assert [row[2] for row in again.as_rows()[1]] == ["skipped"] * 2
    assert (
        manifest(fresh_db),
        query(fresh_db, "select count(*) from raw.pos_member_card"),
    ) == before


def test_a_second_package_loads_as_a_second_higher_batch(tmp_path, fresh_db):
    base = write_package(
        tmp_path / "base",
        {
            "pos_member_card.csv": csv_text(CARD.columns, [card("1"), card("2")]),
            "pos_points_log.csv": csv_text(LOG.columns, [log_row(1)]),
        },
    )
    header_only = csv_text(LOG.columns, [])
    delta = write_package(
        tmp_path / "delta",
        {
            "pos_member_card.csv": csv_text(CARD.columns, [card("2", status="C")]),
            "pos_points_log.csv": header_only,
        },
    )
    delta2 = write_package(
        tmp_path / "delta2",
        {
            "pos_member_card.csv": csv_text(CARD.columns, [card("3")]),
            "pos_points_log.csv": header_only,  # same bytes as in delta: loaded all the same
        },
    )

    results = [load_package(fresh_db, p) for p in (base, delta, delta2)]

    assert [r.batch_id for r in results] == [1, 2, 3]
    assert not any(r.resumed for r in results)
    assert query(
        fresh_db,
        "select _batch_id, card_no, status from raw.pos_member_card order by _batch_id, card_no",
    ) == [(1, "1", "A"), (1, "2", "A"), (2, "2", "C"), (3, "3", "A")]
    assert [(b, t) for b, t, *_ in manifest(fresh_db)] == [
        (1, "pos_member_card"),
        (1, "pos_points_log"),
        (2, "pos_member_card"),
        (2, "pos_points_log"),
        (3, "pos_member_card"),
        (3, "pos_points_log"),
    ]
    assert not results[2].files[1].skipped and results[2].files[1].batch_id == 3


def test_a_package_sharing_a_file_with_a_loaded_one_is_a_new_batch_with_all_its_files(
    tmp_path, fresh_db
):
    """A full export sent again after a delta (with another file beside it): its rows are the
    most recently loaded, so they win over the delta's (migration-rules.md section 4); only a
    package whose files were all loaded before changes nothing."""
    cards = csv_text(CARD.columns, [card("1")])
    first = write_package(tmp_path / "first", {"pos_member_card.csv": cards})
    delta = write_package(
        tmp_path / "delta", {"pos_member_card.csv": csv_text(CARD.columns, [card("1", status="C")])}
    )
    again = write_package(
        tmp_path / "again",
        {"pos_member_card.csv": cards, "pos_points_log.csv": csv_text(LOG.columns, [log_row(1)])},
    )

    load_package(fresh_db, first)
    load_package(fresh_db, delta)
    summary = load_package(fresh_db, again)

    assert (summary.batch_id, summary.resumed) == (3, False)
    assert [(f.table, f.skipped, f.batch_id) for f in summary.files] == [
        ("pos_member_card", False, 3),
        ("pos_points_log", False, 3),
    ]
    assert query(
        fresh_db, "select _batch_id, status from raw.pos_member_card order by _batch_id"
    ) == [(1, "A"), (2, "C"), (3, "A")]
    assert not load_package(fresh_db, again).changed


def test_missing_or_empty_folder_and_a_folder_without_contract_files_are_clear_errors(
    tmp_path, fresh_db
):
    with pytest.raises(LoadError, match="does not exist"):
        load_package(fresh_db, tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="is empty"):
        load_package(fresh_db, tmp_path / "empty")
    other = write_package(tmp_path / "other", {"members.csv": "a,b\n"})
    with pytest.raises(LoadError, match="holds no file of the export contract"):
        load_package(fresh_db, other)
    assert not raw_exists(fresh_db)


def test_unknown_files_are_reported_and_skipped_and_names_match_without_case(tmp_path, fresh_db):
    package = write_package(
        tmp_path / "p",
        {
            "POS_MEMBER_CARD.CSV": csv_text(CARD.columns, [card("1")]),
            "README.txt": "not data",
            "pos_member_cards.csv": "typo,in,name\n",
        },
    )

    summary = load_package(fresh_db, package)

    assert summary.unknown_files == ("README.txt", "pos_member_cards.csv")
    assert "README.txt" in summary.message()
    assert query(fresh_db, "select distinct _source_file from raw.pos_member_card") == [
        ("POS_MEMBER_CARD.CSV",)
    ]


# -- interruption and concurrency --------------------------------------------------------------


def big_log_file(path: Path, rows: int) -> None:
    """A large pos_points_log.csv, written in one go."""
    lines = [",".join(LOG.columns)]
    lines += [f"{i},{i % 5000:010d},积分获得,{i % 97},2024-01-01 10:00,T{i}" for i in range(rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def copy_progress(conninfo: str) -> int:
    """Tuples a running COPY into raw.pos_points_log has received so far (0 when none runs)."""
    rows = query(
        conninfo,
        "select coalesce(max(tuples_processed), 0) from pg_stat_progress_copy "
        "where relid = 'raw.pos_points_log'::regclass",
    )
    return rows[0][0]


def test_a_load_killed_mid_file_leaves_no_partial_rows_and_a_rerun_completes(tmp_path, fresh_db):
    package = write_package(
        tmp_path / "p", {"pos_member_card.csv": csv_text(CARD.columns, [card("1"), card("2")])}
    )
    rows = 1_500_000
    big_log_file(package / "pos_points_log.csv", rows)
    script = (
        "import sys; from pathlib import Path; "
        "from member_migration.loader import load_package; "
        "load_package(sys.argv[1], Path(sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    loader = subprocess.Popen([sys.executable, "-c", script, fresh_db, str(package)], env=env)
    try:
        # Kill it once the first file is committed and the big one is streaming.
        wait_for(
            lambda: raw_exists(fresh_db) and copy_progress(fresh_db) > 50_000,
            "the big file to be half way",
        )
        loader.send_signal(signal.SIGKILL)
        assert loader.wait(timeout=30) == -signal.SIGKILL
    finally:
        if loader.poll() is None:
            loader.kill()
    # The server notices the dead client and rolls its transaction back.
    wait_for(
        lambda: (
            query(
                fresh_db,
                "select count(*) from pg_stat_activity where application_name = "
                "'member-migration load'",
            )
            == [(0,)]
        ),
        "the killed load's session to end",
    )
    assert query(fresh_db, "select count(*) from raw.pos_points_log") == [(0,)]
    assert manifest(fresh_db) == [(1, "pos_member_card", "utf-8", 2, 2, 0)]

    rerun = load_package(fresh_db, package)

    assert rerun.resumed and rerun.batch_id == 1  # the package stays one batch
    assert [f.skipped for f in rerun.files] == [True, False]
    assert manifest(fresh_db) == [
        (1, "pos_member_card", "utf-8", 2, 2, 0),
        (1, "pos_points_log", "utf-8", rows, rows, 0),
    ]
    assert query(
        fresh_db,
        "select count(*), count(distinct _record_number), min(_record_number), "
        "max(_record_number) from raw.pos_points_log",
    ) == [(rows, rows, 1, rows)]


def test_a_load_waits_while_another_holds_the_lock(tmp_path, fresh_db):
    package = write_package(
        tmp_path / "p", {"pos_member_card.csv": csv_text(CARD.columns, [card("1")])}
    )
    events = []
    result: dict[str, LoadSummary] = {}
    with psycopg.connect(fresh_db, autocommit=True) as other:
        other.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        worker = threading.Thread(
            target=lambda: result.setdefault(
                "summary", load_package(fresh_db, package, progress=events.append)
            )
        )
        worker.start()
        wait_for(
            lambda: (
                query(
                    fresh_db,
                    "select count(*) from pg_stat_activity where application_name = "
                    "'member-migration load' and wait_event_type = 'Lock' "
                    "and wait_event = 'advisory'",
                )
                == [(1,)]
            ),
            "the load to wait for the lock",
        )
        assert not raw_exists(fresh_db)  # it waits before touching anything
        other.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        worker.join(timeout=60)
    assert result["summary"].batch_id == 1
    assert events[0].event == "waiting"
    assert [e.event for e in events][-1] == "loaded"


def test_concurrent_loads_serialize_into_whole_batches(tmp_path, fresh_db):
    packages = []
    for n in range(3):
        p = write_package(
            tmp_path / f"p{n}",
            {"pos_member_card.csv": csv_text(CARD.columns, [card(f"{n}-{i}") for i in range(3)])},
        )
        big_log_file(p / "pos_points_log.csv", 100_000 + n)
        packages.append(p)
    packages.append(packages[0])  # the same package twice at the same time: loaded once
    results: list[LoadSummary] = []
    threads = [
        threading.Thread(target=lambda p=p: results.append(load_package(fresh_db, p)))
        for p in packages
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert sorted(r.batch_id for r in results if r.changed) == [1, 2, 3]
    assert sum(not r.changed for r in results) == 1
    # Each batch's files were loaded together, one batch after the other.
    spans = query(
        fresh_db,
        "select batch_id, min(started_at), max(finished_at), count(*) from raw.batch_manifest "
        "group by batch_id order by batch_id",
    )
    assert [count for *_, count in spans] == [2, 2, 2]
    for earlier, later in itertools.pairwise(spans):
        assert earlier[2] <= later[1]  # finished before the next batch started
    assert query(fresh_db, "select count(*) from raw.pos_points_log") == [(300_003,)]


def test_a_big_file_loads_completely_and_reports_its_rate(tmp_path, fresh_db, capsys):
    package = tmp_path / "big"
    package.mkdir()
    rows = 1_000_000
    big_log_file(package / "pos_points_log.csv", rows)

    summary = load_package(fresh_db, package)

    (file,) = summary.files
    assert (file.records_read, file.records_loaded, file.records_rejected) == (rows, rows, 0)
    assert query(fresh_db, "select count(*) from raw.pos_points_log") == [(rows,)]
    with capsys.disabled():
        size = (package / "pos_points_log.csv").stat().st_size / 1e6
        print(
            f"\nloader: {rows:,} rows ({size:.0f} MB) in {file.seconds:.1f} s = "
            f"{file.rows_per_second:,.0f} rows/s"
        )
