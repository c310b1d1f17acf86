"""Reads for survey bias (docs/surveys.md): one row per interaction with what every interaction
has (channel, reason, outcome, sentiment, handling numbers, what came next) and its survey answer
where one was given.

The grouping columns and handling numbers come from the episode build (``episode_interactions``,
the same rows the outcome metrics read), the "what came next" from its ``contacts``, sentiment from
the stored 'sentiment' stage result. Interactions the episode build has not seen are still read,
from ``interactions`` alone, so an old build leaves gaps (NULLs), not missing rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from signalroom.store.common_filters import LOCAL_DAY
from signalroom.store.warehouse import Store

# One answer per interaction: several surveys about one interaction (a resend, two systems) count
# once, by their mean, so no interaction weighs more in the comparison or the fit.
_ANSWERS = """
SELECT source, interaction_id, avg(csat) AS csat, avg(nps) AS nps, avg(ces) AS ces
FROM surveys
WHERE interaction_id IS NOT NULL AND (csat IS NOT NULL OR nps IS NOT NULL OR ces IS NOT NULL)
GROUP BY source, interaction_id
"""

# The JSON of the sentiment stage is parsed here, once; json_extract_string is DuckDB's (the one
# engine-specific piece, as in the episode build).
_ROWS = f"""
SELECT i.source, i.id,
       coalesce(e.channel, i.channel) AS channel,
       e.topic_id AS reason,
       coalesce(e.queue, i.queue) AS queue,
       coalesce(e.agent_team, i.agent_team) AS team,
       coalesce(e.agent_id, i.agent_id) AS agent,
       coalesce(e.local_date, {LOCAL_DAY}) AS day,
       i.resolved,
       coalesce(e.transferred, i.transferred, FALSE) AS transferred,
       coalesce(e.escalated, i.escalated, FALSE) AS escalated,
       e.assisted,
       e.duration_s, e.hold_s,
       json_extract_string(sr.result, '$.label') AS sentiment_label,
       json_extract_string(sr.result, '$.trajectory') AS sentiment_trajectory,
       TRY_CAST(json_extract_string(sr.result, '$.parties.customer.end') AS DOUBLE) AS customer_end,
       json_array_length(json_extract(sr.result, '$.negative_moments')) AS negative_moments,
       CASE
         WHEN c.contact_id IS NULL THEN NULL
         WHEN c.next_contact_at IS NOT NULL AND c.next_contact_at <= c.started_at + ? * INTERVAL '1 day' THEN 1.0
         WHEN c.started_at + ? * INTERVAL '1 day' <= (SELECT max(started_at) FROM interactions) THEN 0.0
       END AS repeat_contact,
       a.csat, a.nps, a.ces,
       (a.interaction_id IS NOT NULL) AS surveyed
FROM interactions i
LEFT JOIN episode_interactions e ON e.source = i.source AND e.id = i.id
LEFT JOIN contacts c ON c.contact_source = e.contact_source AND c.contact_id = e.contact_id
LEFT JOIN stage_results sr ON sr.source = i.source AND sr.id = i.id AND sr.stage = 'sentiment'
LEFT JOIN ({_ANSWERS}) a ON a.source = i.source AND a.interaction_id = i.id
"""

TEXT_COLUMNS = ("source", "id", "channel", "queue", "team", "agent", "sentiment_label", "sentiment_trajectory")
NUMBER_COLUMNS = (
    "reason",
    "resolved",
    "transferred",
    "escalated",
    "assisted",
    "duration_s",
    "hold_s",
    "customer_end",
    "negative_moments",
    "repeat_contact",
    "csat",
    "nps",
    "ces",
    "surveyed",
)


@dataclass(frozen=True)
class InteractionRows:
    """Columns of the interactions in scope, aligned by position. Text columns hold None where
    unknown; number columns (booleans as 0/1) hold NaN where unknown."""

    text: dict[str, list[str | None]]
    numbers: dict[str, npt.NDArray[np.float64]]
    days: list[date]

    def __len__(self) -> int:
        return len(self.days)


def _number(value: Any) -> float:
    if value is None:
        return float("nan")
    return float(value)


def interaction_rows(
    store: Store, *, window_days: int, date_from: date | None = None, date_to: date | None = None
) -> InteractionRows:
    """Every interaction whose local day is in the period, with its features and answers."""
    where = ["TRUE"]
    params: list[object] = [int(window_days), int(window_days)]
    if date_from is not None:
        where.append("day >= ?")
        params.append(date_from)
    if date_to is not None:
        where.append("day <= ?")
        params.append(date_to)
    columns = (*TEXT_COLUMNS, *NUMBER_COLUMNS, "day")
    sql = f"SELECT {', '.join(columns)} FROM ({_ROWS}) r WHERE {' AND '.join(where)} ORDER BY source, id"
    fetched = store.connection.execute(sql, params).fetchall()
    n_text = len(TEXT_COLUMNS)
    text = {name: [None if r[k] is None else str(r[k]) for r in fetched] for k, name in enumerate(TEXT_COLUMNS)}
    numbers = {
        name: np.array([_number(r[n_text + k]) for r in fetched], dtype=np.float64)
        for k, name in enumerate(NUMBER_COLUMNS)
    }
    return InteractionRows(text, numbers, [r[-1] for r in fetched])
