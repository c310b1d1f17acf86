"""The command centre's common filters — period, channel, reason, queue, team, agent — as one set of
fields: the API and pages take them, and the lists of interactions and of QA answers extend them
with their own. A day is the interaction's local day, as the metrics and drivers count days."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

# The local date an interaction happened on, where the customer was: a contact at 23:30 in New York
# belongs to that evening, not to the next UTC day. Every count by day reads it.
LOCAL_DAY = "CAST(i.started_at + i.utc_offset_minutes * INTERVAL '1 minute' AS DATE)"


@dataclass(frozen=True, kw_only=True)
class Filters:
    """The common filters: any of them may be left out."""

    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None
    reason: int | None = None
    queue: str | None = None
    team: str | None = None
    agent: str | None = None

    def common(self) -> dict[str, Any]:
        """The common filters' values by name (to make a query that extends them)."""
        return {f.name: getattr(self, f.name) for f in fields(Filters)}

    def conditions(self, *, reason_column: str = "r.topic_id") -> tuple[list[str], list[Any]]:
        """SQL conditions over interactions ``i`` (and the column holding their reason)."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.date_from is not None:
            clauses.append(f"{LOCAL_DAY} >= ?")
            params.append(self.date_from)
        if self.date_to is not None:
            clauses.append(f"{LOCAL_DAY} <= ?")
            params.append(self.date_to)
        for column, value in (("i.channel", self.channel), (reason_column, self.reason), ("i.queue", self.queue),
                              ("i.agent_team", self.team), ("i.agent_id", self.agent)):  # fmt: skip
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return clauses, params
