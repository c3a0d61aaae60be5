"""Where the warehouse is: the connection rule of mart-contract.md.

When ``PGHOST`` is set, every command uses the standard libpq variables (``PGHOST``, ``PGPORT``,
``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``) and builds in that database. Otherwise it uses the
embedded warehouse, which listens on 127.0.0.1 at ``MEMBER_MIGRATION_PORT`` (default 54329).
The dbt profile (profiles.yml.example) applies the same defaults, so the CLI and dbt always
agree on the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 54329
DEFAULT_DATABASE = "member_migration"
DEFAULT_USER = "postgres"


def project_root() -> Path:
    """The dbt project folder (holds dbt_project.yml); MEMBER_MIGRATION_PROJECT overrides."""
    return Path(os.environ.get("MEMBER_MIGRATION_PROJECT", PROJECT_ROOT)).resolve()


def warehouse_dir() -> Path:
    """Data folder of the embedded warehouse; MEMBER_MIGRATION_WAREHOUSE_DIR overrides."""
    default = project_root() / ".warehouse"
    return Path(os.environ.get("MEMBER_MIGRATION_WAREHOUSE_DIR", default)).resolve()


def embedded_port() -> int:
    return int(os.environ.get("MEMBER_MIGRATION_PORT", DEFAULT_PORT))


def uses_external_server() -> bool:
    """True when the user named their own PostgreSQL through PGHOST."""
    return bool(os.environ.get("PGHOST"))


@dataclass(frozen=True)
class ConnectionSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def conninfo(self, dbname: str | None = None) -> str:
        """A libpq connection string (the password is left to PGPASSWORD, never printed)."""
        parts = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "dbname": dbname or self.dbname,
        }
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{k}={_quote(v)}" for k, v in parts.items())

    def url(self, dbname: str | None = None) -> str:
        """A postgresql:// URL without the password, for humans, psql and BI tools."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname or self.dbname}"

    def env(self) -> dict[str, str]:
        """The PG* variables that make dbt's profile and libpq point at this database."""
        env = {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": self.dbname,
        }
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _quote(value: str) -> str:
    if value and all(c not in value for c in " '\\"):
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def connection_settings() -> ConnectionSettings:
    """The settings every command uses, following the connection rule."""
    if uses_external_server():
        return ConnectionSettings(
            host=os.environ["PGHOST"],
            port=int(os.environ.get("PGPORT", "5432")),
            user=os.environ.get("PGUSER", DEFAULT_USER),
            password=os.environ.get("PGPASSWORD", ""),
            dbname=os.environ.get("PGDATABASE", DEFAULT_DATABASE),
        )
    return ConnectionSettings(
        host="127.0.0.1",
        port=embedded_port(),
        user=DEFAULT_USER,
        password="",
        dbname=DEFAULT_DATABASE,
    )
