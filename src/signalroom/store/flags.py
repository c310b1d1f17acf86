"""Storage of advisors' flags (``sql/0015_advisor_flags.sql``, docs/signals.md#advisors-signals).

Nothing here opens a transaction: ``signalroom.signals.flags.add_flag`` writes a flag and its
webhook event in one transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from signalroom.store.warehouse import Store


@dataclass(frozen=True, kw_only=True)
class Flag:
    flag_id: int
    advisor: str
    text: str
    interaction: str | None  # 'source/id' of the interaction referred to
    created_at: datetime
    reason: int | None = None  # the referred interaction's reason, once analysed
    group_id: int | None = None  # as last saved by the grouping
    signal_id: int | None = None
    match_similarity: float | None = None

    @property
    def day(self) -> date:
        return self.created_at.astimezone(UTC).date()


def interaction_exists(store: Store, source: str, ident: str) -> bool:
    found = store.connection.execute(
        "SELECT count(*) FROM interactions WHERE source = ? AND id = ?", [source, ident]
    ).fetchall()
    return bool(found[0][0])


def insert_flag(store: Store, *, advisor: str, text: str, source: str | None, ident: str | None) -> Flag:
    """The new flag, as stored (its id from the sequence, its creation time from the database)."""
    con = store.connection
    flag_id = int(con.execute("SELECT nextval('advisor_flag_ids')").fetchall()[0][0])
    created = con.execute(
        "INSERT INTO advisor_flags (flag_id, advisor, text, source, id, created_at) "
        "VALUES (?, ?, ?, ?, ?, now()) RETURNING created_at",
        [flag_id, advisor, text, source, ident],
    ).fetchall()[0][0]
    interaction = None if source is None else f"{source}/{ident}"
    return Flag(flag_id=flag_id, advisor=advisor, text=text, interaction=interaction, created_at=created)


def list_flags(
    store: Store, *, advisor: str | None = None, since: date | None = None, advisors: Sequence[str] | None = None
) -> list[Flag]:
    """Flags in id order, optionally only one advisor's (or only those of ``advisors``) and those
    created on or after ``since`` (UTC day), each with the reason of the interaction it refers to."""
    where: list[str] = []
    params: list[object] = []
    if advisor is not None:
        where.append("f.advisor = ?")
        params.append(advisor)
    if advisors is not None:
        where.append("list_contains(?::VARCHAR[], f.advisor)")
        params.append(list(advisors))
    if since is not None:
        where.append("f.created_at >= ?")
        params.append(datetime.combine(since, time.min, tzinfo=UTC))
    rows = store.connection.execute(
        "SELECT f.flag_id, f.advisor, f.text, f.source, f.id, f.created_at, r.topic_id, f.group_id, "
        "f.signal_id, f.match_similarity FROM advisor_flags f "
        "LEFT JOIN interaction_reasons r ON r.source = f.source AND r.id = f.id "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "ORDER BY f.flag_id",
        params,
    ).fetchall()
    return [
        Flag(
            flag_id=int(fid),
            advisor=adv,
            text=text,
            interaction=None if src is None else f"{src}/{ident}",
            created_at=created,
            reason=None if reason is None else int(reason),
            group_id=None if group is None else int(group),
            signal_id=None if signal is None else int(signal),
            match_similarity=None if similarity is None else float(similarity),
        )
        for fid, adv, text, src, ident, created, reason, group, signal, similarity in rows
    ]


def persons_of(store: Store, interactions: Iterable[str]) -> dict[str, int]:
    """The person of each of these interactions ('source/id') that identity resolution linked."""
    refs = sorted(set(interactions))
    if not refs:
        return {}
    rows = store.connection.execute(
        "SELECT p.source || '/' || p.id, p.person_id FROM interaction_persons p "
        "WHERE list_contains(?, p.source || '/' || p.id)",
        [refs],
    ).fetchall()
    return {str(ref): int(person) for ref, person in rows}


def save_grouping(store: Store, rows: Sequence[tuple[int, int, int | None, float | None]]) -> int:
    """Record (flag_id, group_id, signal_id, match_similarity) for each flag given, in one
    statement, so a grouping is saved whole or not at all; flags not given keep what they had. The
    number of flags updated."""
    if not rows:
        return 0
    ids = [int(r[0]) for r in rows]
    found = store.connection.execute(
        "SELECT count(*) FROM advisor_flags WHERE list_contains(?, flag_id)", [ids]
    ).fetchall()[0][0]
    if found != len(set(ids)):
        known = {
            int(r[0])
            for r in store.connection.execute(
                "SELECT flag_id FROM advisor_flags WHERE list_contains(?, flag_id)", [ids]
            ).fetchall()
        }
        missing = sorted(set(ids) - known)
        raise ValueError(f"cannot save the grouping: no advisor flag with id {', '.join(map(str, missing))}")
    store.connection.execute(
        "UPDATE advisor_flags SET group_id = g.group_id, signal_id = g.signal_id, "
        "match_similarity = g.match_similarity "
        "FROM (SELECT unnest(?::INTEGER[]) AS flag_id, unnest(?::INTEGER[]) AS group_id, "
        "unnest(?::INTEGER[]) AS signal_id, unnest(?::DOUBLE[]) AS match_similarity) g "
        "WHERE advisor_flags.flag_id = g.flag_id",
        [ids, [int(r[1]) for r in rows], [r[2] for r in rows], [r[3] for r in rows]],
    )
    return len(ids)
