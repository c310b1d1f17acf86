"""Small helpers over a DuckDB connection."""

from __future__ import annotations

from typing import Any

import duckdb


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    """The single row a query returns. The result is consumed whole, as DuckDB 2 requires
    before the connection runs anything else."""
    rows = con.execute(sql, params or []).fetchall()
    if len(rows) != 1:
        raise LookupError(f"expected one row, got {len(rows)}: {sql}")
    return tuple(rows[0])
