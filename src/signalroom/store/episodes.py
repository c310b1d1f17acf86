"""Customer contacts and episodes (tables of ``sql/0006_episodes.sql``), rebuilt whole in set-based
SQL: parent_id chains become contacts, contacts by one person about one reason within a window of
each other become episodes. The rules are in ``signalroom.journeys.episodes`` and docs/journeys.md."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signalroom.store.common_filters import LOCAL_DAY
from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store

# Channels where no person serves the customer: a session on them is self-service.
SELF_SERVICE_CHANNELS = ("bot", "ivr")
MAX_CHAIN_DEPTH = 50  # parent_id chains deeper than this (or cycles) are cut there
# A customer whose last turns score at or below this ends negative: the sentiment scorer's own
# threshold for a negative label (docs/sentiment.md).
NEGATIVE_END_SCORE = -0.05
PATH_ARROW = " → "
# A digital channel used this long before a contact starts its path; a failure this long before
# is the contact's prior self-service failure.
PRIOR_HOURS = 24

_SELF_SERVICE_SQL = ", ".join(f"'{c}'" for c in SELF_SERVICE_CHANNELS)

# Each interaction's chain root: follow parent_id (within the source) up to an interaction without
# a known parent. Interactions in a cycle are their own roots.
_ROOTS = f"""
CREATE OR REPLACE TEMP TABLE ep_roots AS
WITH RECURSIVE chain (source, id, root_id, depth) AS (
    SELECT i.source, i.id, i.id, 0 FROM interactions i
    WHERE i.parent_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM interactions p WHERE p.source = i.source AND p.id = i.parent_id)
    UNION ALL
    SELECT c.source, c.id, ch.root_id, ch.depth + 1
    FROM chain ch JOIN interactions c ON c.source = ch.source AND c.parent_id = ch.id
    WHERE ch.depth < {MAX_CHAIN_DEPTH} AND c.id <> ch.root_id
)
SELECT source, id, min(root_id) AS root_id FROM chain GROUP BY source, id
"""

# The numbers outcome metrics read from the stored conversation metrics: the JSON is parsed once,
# here, at build time (json_extract_string over a list of paths is DuckDB's; the one engine-specific
# statement of the build).
_METRIC_KEYS = ("duration_s", "hold_s", "silence_s", "first_response_s", "transfers")

_ROWS = f"""
CREATE OR REPLACE TEMP TABLE ep_rows AS
SELECT i.source, i.id, coalesce(r.root_id, i.id) AS root_id, (coalesce(r.root_id, i.id) = i.id) AS is_root,
       p.person_id, ir.topic_id, ir.sub_topic_id, i.channel, i.started_at,
       coalesce(i.ended_at, i.started_at) AS ended_at,
       {LOCAL_DAY} AS local_date,
       i.queue, i.agent_team, i.agent_id, i.resolved,
       (i.direction IS NULL OR i.direction <> 'outbound') AS inbound,
       (i.channel IN ({_SELF_SERVICE_SQL})) AS self_service,
       (row_number() OVER (PARTITION BY i.source, coalesce(r.root_id, i.id)
                           ORDER BY i.started_at DESC, i.id DESC) = 1) AS is_last,
       coalesce(i.transferred, FALSE) OR coalesce(TRY_CAST(m.v[5] AS DOUBLE) > 0, FALSE) AS transferred,
       coalesce(i.escalated, FALSE) AS escalated,
       TRY_CAST(m.v[1] AS DOUBLE) AS duration_s, TRY_CAST(m.v[2] AS DOUBLE) AS hold_s,
       TRY_CAST(m.v[3] AS DOUBLE) AS silence_s, TRY_CAST(m.v[4] AS DOUBLE) AS first_response_s,
       TRY_CAST(se.v AS DOUBLE) <= {NEGATIVE_END_SCORE} AS ended_negative,
       (lag(i.channel) OVER (PARTITION BY i.source, coalesce(r.root_id, i.id) ORDER BY i.started_at, i.id)
            IS DISTINCT FROM i.channel) AS new_channel
FROM interactions i
LEFT JOIN ep_roots r ON r.source = i.source AND r.id = i.id
LEFT JOIN interaction_persons p ON p.source = i.source AND p.id = i.id
LEFT JOIN interaction_reasons ir ON ir.source = i.source AND ir.id = i.id
LEFT JOIN (SELECT source, id, json_extract_string(result, [{", ".join(f"'$.{k}'" for k in _METRIC_KEYS)}]) AS v
           FROM stage_results WHERE stage = 'metrics') m ON m.source = i.source AND m.id = i.id
LEFT JOIN (SELECT source, id, json_extract_string(result, '$.parties.customer.end') AS v
           FROM stage_results WHERE stage = 'sentiment') se ON se.source = i.source AND se.id = i.id
"""

# One row per contact (chain): who, why, when, where it came in and who handled it last.
_CONTACTS = f"""
CREATE OR REPLACE TEMP TABLE ep_contacts AS
SELECT source AS contact_source, root_id AS contact_id,
       coalesce(max(CASE WHEN is_root THEN person_id END), min(person_id)) AS person_id,
       coalesce(max(CASE WHEN is_root THEN topic_id END),
                min_by(topic_id, started_at) FILTER (WHERE topic_id IS NOT NULL)) AS topic_id,
       CASE WHEN max(CASE WHEN is_root THEN topic_id END) IS NOT NULL THEN max(CASE WHEN is_root THEN sub_topic_id END)
            ELSE min_by(sub_topic_id, started_at) FILTER (WHERE topic_id IS NOT NULL) END AS sub_topic_id,
       min(started_at) AS started_at, max(ended_at) AS ended_at,
       max(CASE WHEN is_root THEN local_date END) AS local_date,
       max(CASE WHEN is_root THEN channel END) AS channel,
       max(CASE WHEN is_last THEN queue END) AS queue, max(CASE WHEN is_last THEN agent_team END) AS agent_team,
       max(CASE WHEN is_last THEN agent_id END) AS agent_id, max(CASE WHEN is_last THEN resolved END) AS resolved,
       count(*) AS interactions,
       bool_or(is_root AND inbound) AS inbound,
       bool_and(self_service) AS self_service_only,
       bool_or(transferred) AS transferred, bool_or(escalated) AS escalated,
       max_by(ended_negative, started_at) FILTER (WHERE ended_negative IS NOT NULL) AS ended_negative,
       string_agg(CASE WHEN new_channel THEN channel END, '{PATH_ARROW}' ORDER BY started_at, id) AS chain_path
FROM ep_rows GROUP BY source, root_id
"""

# The episodes: a contact opens a new one when it has no person or no reason, or when the person's
# previous contact about the reason started more than the window before it.
_SESSIONS = """
CREATE OR REPLACE TEMP TABLE ep_sessions AS
WITH flagged AS (
    SELECT contact_source, contact_id, person_id, topic_id, started_at,
           CASE WHEN person_id IS NULL OR topic_id IS NULL THEN 1
                WHEN lag(started_at) OVER w IS NULL THEN 1
                WHEN started_at > lag(started_at) OVER w + {window_days} * INTERVAL '1 day' THEN 1
                ELSE 0 END AS opens
    FROM ep_contacts
    WINDOW w AS (PARTITION BY person_id, topic_id ORDER BY started_at, contact_source, contact_id)
), numbered AS (
    SELECT *, sum(opens) OVER (PARTITION BY person_id, topic_id ORDER BY started_at, contact_source, contact_id
                               ROWS UNBOUNDED PRECEDING) AS n
    FROM flagged
), firsts AS (
    SELECT *, first_value(contact_source) OVER e AS first_source, first_value(contact_id) OVER e AS first_id,
           min(started_at) OVER (PARTITION BY person_id, topic_id, n) AS first_at
    FROM numbered
    WINDOW e AS (PARTITION BY person_id, topic_id, n ORDER BY started_at, contact_source, contact_id)
)
SELECT contact_source, contact_id, first_source, first_id,
       dense_rank() OVER (ORDER BY first_at, first_source, first_id) AS episode_id
FROM firsts
"""

# The window-free "what came next" of every inbound contact with a person.
_NEXT = """
CREATE OR REPLACE TEMP TABLE ep_next AS
WITH inb AS (
    SELECT contact_source, contact_id, person_id, topic_id, started_at FROM ep_contacts
    WHERE person_id IS NOT NULL AND inbound
), runs AS (
    SELECT *, sum(CASE WHEN topic_id = prev_topic THEN 0 ELSE 1 END)
              OVER (PARTITION BY person_id ORDER BY started_at, contact_source, contact_id
                    ROWS UNBOUNDED PRECEDING) AS run
    FROM (SELECT *, lag(topic_id) OVER (PARTITION BY person_id ORDER BY started_at, contact_source, contact_id)
                    AS prev_topic
          FROM inb WHERE topic_id IS NOT NULL) t
), run_starts AS (
    SELECT person_id, run, min(started_at) AS run_start FROM runs GROUP BY person_id, run
), assisted AS (
    SELECT source, root_id, is_root, person_id,
           min(CASE WHEN NOT self_service THEN started_at END) OVER (
               PARTITION BY person_id ORDER BY started_at, source, id
               ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_assisted_at
    FROM ep_rows WHERE person_id IS NOT NULL
)
SELECT c.contact_source, c.contact_id,
       lead(c.started_at) OVER (PARTITION BY c.person_id ORDER BY c.started_at, c.contact_source, c.contact_id)
           AS next_contact_at,
       lag(c.started_at) OVER (PARTITION BY c.person_id ORDER BY c.started_at, c.contact_source, c.contact_id)
           AS previous_contact_at,
       CASE WHEN c.topic_id IS NOT NULL THEN lead(c.started_at) OVER (
           PARTITION BY c.person_id, c.topic_id ORDER BY c.started_at, c.contact_source, c.contact_id) END
           AS next_same_reason_at,
       rs.run_start AS next_other_reason_at,
       a.next_assisted_at
FROM inb c
LEFT JOIN runs r ON r.contact_source = c.contact_source AND r.contact_id = c.contact_id
LEFT JOIN run_starts rs ON rs.person_id = r.person_id AND rs.run = r.run + 1
LEFT JOIN assisted a ON a.source = c.contact_source AND a.root_id = c.contact_id AND a.is_root
"""

# Self-service events of these types (given at build time), with their person.
_TYPED_EVENTS = """
SELECT e.source, e.id, e.type, e.channel, e.occurred_at, e.utc_offset_minutes, p.person_id
FROM events e LEFT JOIN event_persons p ON p.source = e.source AND p.id = e.id WHERE {condition}
"""

# Each person's self-service events and inbound contacts on one time line (an event at the very
# moment a contact starts comes before it): for a contact, the last digital channel used and the
# last failure before it; for an event, the first contact from it on. Sessions on interaction
# channels (bot, IVR) are contacts themselves, so their events do not start a path.
_TIMELINE = f"""
CREATE OR REPLACE TEMP TABLE ep_timeline AS
WITH marks AS (
    SELECT e.source, e.id, p.person_id, e.occurred_at AS moment, 0 AS ord,
           CASE WHEN e.channel NOT IN ({_SELF_SERVICE_SQL}) THEN e.channel END AS digital,
           CASE WHEN {{failed}} THEN e.type END AS failure, CASE WHEN {{failed}} THEN e.channel END AS failure_channel,
           CAST(NULL AS TIMESTAMPTZ) AS contact_at
    FROM events e JOIN event_persons p ON p.source = e.source AND p.id = e.id
    UNION ALL
    SELECT contact_source, contact_id, person_id, started_at, 1, NULL, NULL, NULL, started_at
    FROM ep_contacts WHERE person_id IS NOT NULL AND inbound
)
SELECT source, id, ord,
       last_value(CASE WHEN digital IS NOT NULL THEN moment END IGNORE NULLS) OVER w_before AS digital_at,
       last_value(digital IGNORE NULLS) OVER w_before AS digital,
       last_value(CASE WHEN failure IS NOT NULL THEN moment END IGNORE NULLS) OVER w_before AS failure_at,
       last_value(failure IGNORE NULLS) OVER w_before AS failure,
       last_value(CASE WHEN failure IS NOT NULL THEN failure_channel END IGNORE NULLS) OVER w_before AS failure_channel,
       first_value(contact_at IGNORE NULLS) OVER w_after AS next_contact_at
FROM marks
WINDOW w_before AS (PARTITION BY person_id ORDER BY moment, ord, source, id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
       w_after AS (PARTITION BY person_id ORDER BY moment, ord, source, id
                 ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
"""

_WITHIN_PRIOR = "{at} >= c.started_at - " + str(PRIOR_HOURS) + " * INTERVAL '1 hour'"

_INSERT_CONTACTS = f"""
INSERT INTO contacts (contact_source, contact_id, person_id, topic_id, episode_id, started_at, ended_at,
    local_date, channel, queue, agent_team, agent_id, resolved, interactions, inbound, self_service_only,
    next_contact_at, next_same_reason_at, next_other_reason_at, next_assisted_at, churn_at,
    sub_topic_id, transferred, escalated, ended_negative, csat_min, previous_contact_at, path,
    prior_failure, prior_failure_channel)
SELECT c.contact_source, c.contact_id, c.person_id, c.topic_id, s.episode_id, c.started_at, c.ended_at,
       c.local_date, c.channel, c.queue, c.agent_team, c.agent_id, c.resolved, c.interactions, c.inbound,
       c.self_service_only, n.next_contact_at, n.next_same_reason_at, n.next_other_reason_at,
       n.next_assisted_at, ch.churn_at,
       c.sub_topic_id, c.transferred, c.escalated, c.ended_negative, sv.csat_min, n.previous_contact_at,
       CASE WHEN {_WITHIN_PRIOR.format(at="t.digital_at")} AND t.digital IS DISTINCT FROM c.channel
            THEN t.digital || '{PATH_ARROW}' || c.chain_path ELSE c.chain_path END,
       CASE WHEN {_WITHIN_PRIOR.format(at="t.failure_at")} THEN t.failure END,
       CASE WHEN {_WITHIN_PRIOR.format(at="t.failure_at")} THEN t.failure_channel END
FROM ep_contacts c
JOIN ep_sessions s ON s.contact_source = c.contact_source AND s.contact_id = c.contact_id
LEFT JOIN ep_next n ON n.contact_source = c.contact_source AND n.contact_id = c.contact_id
LEFT JOIN ep_timeline t ON t.ord = 1 AND t.source = c.contact_source AND t.id = c.contact_id
LEFT JOIN (SELECT r.source, r.root_id, min(sv.csat) AS csat_min
           FROM surveys sv JOIN ep_rows r ON r.source = sv.source AND r.id = sv.interaction_id
           WHERE sv.csat BETWEEN 1 AND 5 GROUP BY r.source, r.root_id) sv
       ON sv.source = c.contact_source AND sv.root_id = c.contact_id
LEFT JOIN (SELECT x.contact_source, x.contact_id, min(e.occurred_at) AS churn_at
           FROM ep_contacts x JOIN ({{churn}}) e ON e.person_id = x.person_id AND e.occurred_at >= x.started_at
           GROUP BY x.contact_source, x.contact_id) ch
       ON ch.contact_source = c.contact_source AND ch.contact_id = c.contact_id
ORDER BY c.person_id, c.started_at
"""

_INSERT_INTERACTIONS = """
INSERT INTO episode_interactions
SELECT r.source, r.id, c.contact_source, c.contact_id, c.episode_id, c.person_id, c.topic_id,
       r.channel, r.queue, r.agent_team, r.agent_id, r.local_date, NOT r.self_service, r.transferred, r.escalated,
       r.duration_s, r.hold_s, r.silence_s, r.first_response_s
FROM ep_rows r JOIN contacts c ON c.contact_source = r.source AND c.contact_id = r.root_id
ORDER BY c.person_id, r.started_at
"""

_INSERT_EVENTS = """
INSERT INTO self_service_events
SELECT e.source, e.id, e.type, e.channel, p.person_id, e.occurred_at,
       CAST(e.occurred_at + e.utc_offset_minutes * INTERVAL '1 minute' AS DATE), {failed}, t.next_contact_at
FROM events e
LEFT JOIN event_persons p ON p.source = e.source AND p.id = e.id
LEFT JOIN ep_timeline t ON t.ord = 0 AND t.source = e.source AND t.id = e.id
"""

_INSERT_EPISODES = """
INSERT INTO episodes
SELECT c.episode_id, min(c.person_id), min(c.topic_id), min(s.first_source), min(s.first_id),
       min(c.started_at), max(c.started_at), count(*), sum(c.interactions),
       max(CASE WHEN c.is_last THEN c.resolved END)
FROM (SELECT *, row_number() OVER (PARTITION BY episode_id ORDER BY started_at DESC, contact_source DESC,
                                   contact_id DESC) = 1 AS is_last FROM contacts) c
JOIN ep_sessions s ON s.contact_source = c.contact_source AND s.contact_id = c.contact_id
GROUP BY c.episode_id
"""

# The first interaction's attributes with string or true/false values, for keys with few distinct
# values (codes, options, flags: free text and numbers are not drivers).
MAX_ATTRIBUTE_VALUES = 50
_INSERT_ATTRIBUTES = f"""
INSERT INTO contact_attributes
WITH pairs AS (
    SELECT i.source, i.id, k.key, json_extract_string(i.attributes, '$."' || replace(k.key, '"', '') || '"') AS value,
           json_type(i.attributes, '$."' || replace(k.key, '"', '') || '"') AS kind
    FROM interactions i JOIN contacts c ON c.contact_source = i.source AND c.contact_id = i.id,
         unnest(json_keys(i.attributes)) AS k(key)
    WHERE i.attributes IS NOT NULL
), kept AS (
    SELECT key FROM pairs GROUP BY key
    HAVING count(DISTINCT value) <= {MAX_ATTRIBUTE_VALUES} AND bool_and(kind IN ('VARCHAR', 'BOOLEAN'))
)
SELECT source, id, key, value FROM pairs WHERE key IN (SELECT key FROM kept) AND value IS NOT NULL
"""


@dataclass(frozen=True)
class EpisodeBuild:
    built_at: datetime
    window_days: int
    interactions: int
    contacts: int
    episodes: int
    last_load_id: int | None
    reasons_run_id: int | None
    seconds: float


def _sources_state(store: Store) -> tuple[int | None, int | None]:
    """The newest load and reason run: a build older than either is out of date."""
    row = fetch_one(
        store.connection,
        "SELECT (SELECT max(load_id) FROM loads), (SELECT max(run_id) FROM interaction_reasons)",
    )
    return (None if row[0] is None else int(row[0]), None if row[1] is None else int(row[1]))


def _quote(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def _type_condition(types: Sequence[str], suffixes: Sequence[str] = ()) -> str:
    """``e.type`` is one of ``types`` or ends in one of ``suffixes`` (LIKE with an escaped ``_``)."""
    parts = [f"e.type IN ({_quote(types)})"]
    parts += [f"e.type LIKE '%{s.replace('_', chr(92) + '_')}' ESCAPE '{chr(92)}'" for s in suffixes]
    return "(" + " OR ".join(parts) + ")"


def build_episodes(
    store: Store,
    window_days: int,
    *,
    failure_types: Sequence[str] = (),
    failure_suffixes: Sequence[str] = ("_failed", "_error"),
    churn_types: Sequence[str] = ("account_closed",),
) -> EpisodeBuild:
    """Rebuild contacts, episodes, episode_interactions, self_service_events and contact_attributes
    from the records, in one transaction."""
    if window_days < 1:
        raise ValueError("the episode window is at least 1 day")
    con = store.connection
    began = time.perf_counter()
    last_load, reasons_run = _sources_state(store)
    failed = _type_condition(failure_types, failure_suffixes)
    churn = _TYPED_EVENTS.format(condition=_type_condition(churn_types))
    with store.transaction():
        for table in (
            "episode_interactions",
            "contacts",
            "episodes",
            "self_service_events",
            "contact_attributes",
            "episode_builds",
        ):
            con.execute(f"DELETE FROM {table}")
        con.execute(_ROOTS)
        con.execute(_ROWS)
        con.execute(_CONTACTS)
        con.execute(_SESSIONS.format(window_days=int(window_days)))
        con.execute(_NEXT)
        con.execute(_TIMELINE.format(failed=failed))
        con.execute(_INSERT_CONTACTS.format(churn=churn))
        con.execute(_INSERT_INTERACTIONS)
        con.execute(_INSERT_EPISODES)
        con.execute(_INSERT_EVENTS.format(failed=failed))
        con.execute(_INSERT_ATTRIBUTES)
        counts = fetch_one(
            con,
            "SELECT (SELECT count(*) FROM episode_interactions), (SELECT count(*) FROM contacts), "
            "(SELECT count(*) FROM episodes)",
        )
        seconds = round(time.perf_counter() - began, 3)
        con.execute(
            "INSERT INTO episode_builds VALUES (now(), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                list(failure_types),
                list(churn_types),
                window_days,
                counts[0],
                counts[1],
                counts[2],
                last_load,
                reasons_run,
                seconds,
            ],
        )
        for temp in ("ep_roots", "ep_rows", "ep_contacts", "ep_sessions", "ep_next", "ep_timeline"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    build = last_build(store)
    assert build is not None
    return build


def last_build(store: Store) -> EpisodeBuild | None:
    rows = store.connection.execute(
        "SELECT built_at, window_days, interactions, contacts, episodes, last_load_id, reasons_run_id, seconds "
        "FROM episode_builds ORDER BY built_at DESC LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    r = rows[0]
    return EpisodeBuild(
        r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5] if r[5] is None else int(r[5]),
        r[6] if r[6] is None else int(r[6]), float(r[7]),
    )  # fmt: skip


def build_is_current(store: Store, build: EpisodeBuild) -> bool:
    """False when a load or a reason assignment came after the build."""
    return _sources_state(store) == (build.last_load_id, build.reasons_run_id)


def episode_summary(store: Store) -> dict[str, Any]:
    """How the episodes look: counts, contacts per episode, resolution at the end."""
    row = fetch_one(
        store.connection,
        "SELECT count(*), coalesce(sum(contacts), 0), count(*) FILTER (WHERE contacts > 1), "
        "coalesce(max(contacts), 0), count(*) FILTER (WHERE resolved), count(*) FILTER (WHERE person_id IS NULL), "
        "count(*) FILTER (WHERE topic_id IS NULL) FROM episodes",
    )
    chained = fetch_one(store.connection, "SELECT count(*) FROM contacts WHERE interactions > 1")
    return {
        "episodes": int(row[0]),
        "contacts": int(row[1]),
        "episodes_with_repeats": int(row[2]),
        "most_contacts": int(row[3]),
        "resolved_at_end": int(row[4]),
        "without_person": int(row[5]),
        "without_reason": int(row[6]),
        "chained_contacts": int(chained[0]),
    }


def person_episodes(store: Store, person_id: int) -> list[dict[str, Any]]:
    """A person's episodes, oldest first."""
    cursor = store.connection.execute(
        "SELECT episode_id, topic_id, first_contact_at, last_contact_at, contacts, interactions, resolved "
        "FROM episodes WHERE person_id = ? ORDER BY first_contact_at",
        [person_id],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
