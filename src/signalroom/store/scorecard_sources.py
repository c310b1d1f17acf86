"""Where each scorecard in use was read from (``qa_scorecards.source_path``), so the settings page
can show the file as written, comments and all."""

from __future__ import annotations

from signalroom.store.warehouse import Store


def scorecard_paths(store: Store) -> dict[str, str | None]:
    """The source file of the newest version of every scorecard in use (None: set from the page)."""
    rows = store.connection.execute(
        "SELECT scorecard_id, source_path FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY scorecard_id ORDER BY loaded_at DESC) AS n FROM qa_scorecards"
        ") WHERE n = 1 AND removed_at IS NULL"
    ).fetchall()
    return {str(r[0]): None if r[1] is None else str(r[1]) for r in rows}
