"""The legacy export contract (shared/spec/legacy-exports.md) as data.

The generator writes these files and the loader reads them; keeping the column lists in one
place means the two can never disagree about what a package holds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFile:
    """One file of an export package and the raw table it loads into."""

    table: str
    source_system: str
    columns: tuple[str, ...]
    key: str
    parent_key: str | None = None
    parent_table: str | None = None
    is_member_table: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.table}.csv"


EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile(
        table="pos_member_card",
        source_system="pos",
        columns=(
            "card_no",
            "member_name",
            "mobile",
            "id_card_no",
            "gender",
            "birthday",
            "open_date",
            "store_code",
            "tier_name",
            "points",
            "stored_value",
            "status",
            "nickname",
            "province",
            "city",
            "updated_at",
        ),
        key="card_no",
        is_member_table=True,
    ),
    ExportFile(
        table="pos_points_log",
        source_system="pos",
        columns=("log_id", "card_no", "change_type", "points_delta", "occurred_at", "order_ref"),
        key="log_id",
        parent_key="card_no",
        parent_table="pos_member_card",
    ),
    ExportFile(
        table="pos_transaction",
        source_system="pos",
        columns=("txn_id", "card_no", "store_code", "txn_time", "amount", "points_earned"),
        key="txn_id",
        parent_key="card_no",
        parent_table="pos_member_card",
    ),
    ExportFile(
        table="mall_user",
        source_system="mall",
        columns=(
            "user_id",
            "phone",
            "email",
            "wx_unionid",
            "real_name",
            "nick_name",
            "gender",
            "birth_date",
            "reg_time",
            "level",
            "integral",
            "is_deleted",
            "province",
            "city",
            "last_login_at",
        ),
        key="user_id",
        is_member_table=True,
    ),
    ExportFile(
        table="mall_order",
        source_system="mall",
        columns=("order_id", "user_id", "order_time", "pay_amount", "order_status"),
        key="order_id",
        parent_key="user_id",
        parent_table="mall_user",
    ),
    ExportFile(
        table="mall_coupon",
        source_system="mall",
        columns=(
            "coupon_id",
            "user_id",
            "coupon_type",
            "face_value",
            "issued_at",
            "expire_at",
            "coupon_status",
        ),
        key="coupon_id",
        parent_key="user_id",
        parent_table="mall_user",
    ),
    ExportFile(
        table="wechat_member",
        source_system="wechat",
        columns=(
            "openid",
            "unionid",
            "mobile",
            "nickname",
            "gender",
            "subscribe_time",
            "member_level",
            "points_balance",
            "channel",
            "ext_attrs",
            "updated_at",
        ),
        key="openid",
        is_member_table=True,
    ),
)

FILES_BY_NAME: dict[str, ExportFile] = {f.file_name: f for f in EXPORT_FILES}
FILES_BY_TABLE: dict[str, ExportFile] = {f.table: f for f in EXPORT_FILES}

#: Literal strings that mean "missing" in every legacy export (after trimming).
MISSING_LITERALS: frozenset[str] = frozenset({"", "NULL", "null", "\\N", "N/A"})

#: Lineage columns the loader adds to every raw table, after the contract columns.
LINEAGE_COLUMNS: tuple[str, ...] = ("_batch_id", "_source_file", "_record_number", "_loaded_at")
