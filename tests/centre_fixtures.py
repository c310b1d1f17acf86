"""A small analysed demo warehouse with one user per role, for the API, page and browser tests.

Built once per test process (`centre_template`); tests that change something copy the file first.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalroom.auth import users as auth
from signalroom.demo import DemoConfig, generate
from signalroom.ingest.loader import Loader
from signalroom.store import Store

PASSWORD = "correct horse battery"


@dataclass
class Person:
    username: str
    role: str
    token: str
    password: str = PASSWORD
    agent_id: str | None = None
    teams: tuple[str, ...] = ()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Centre:
    """The warehouse file and what tests need to know about it."""

    db: Path
    people: dict[str, Person] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def copy_to(self, folder: Path) -> Centre:
        target = folder / "centre.duckdb"
        shutil.copyfile(self.db, target)
        return Centre(target, self.people, self.facts)


def build_centre(folder: Path, *, customers: int = 1000) -> Centre:
    from signalroom.pipeline.analyze import analyze
    from signalroom.qa.run import score

    out = folder / "demo-data"
    generate(DemoConfig(customers=customers, out=out))
    db = folder / "centre.duckdb"
    centre = Centre(db)
    with Store.open(db) as store:
        Loader(store, resolve_identities=True).ingest([out], fmt="jsonl", source="demo")
        analyze(store, tier="fast")
        score(store)
        con = store.connection
        # Two advisors who both handled calls, in different teams, and a supervisor of the first's team.
        agents = con.execute(
            "SELECT agent_id, any_value(agent_team), count(*) AS n FROM interactions WHERE agent_id IS NOT NULL "
            "GROUP BY agent_id ORDER BY n DESC, agent_id"
        ).fetchall()
        first = agents[0]
        second = next(a for a in agents if a[1] != first[1])
        people = [
            ("admin", "admin", {}),
            ("analyst", "analyst", {}),
            ("qa", "qa", {}),
            ("supervisor", "supervisor", {"teams": (first[1],)}),
            ("advisor", "advisor", {"agent_id": first[0]}),
            ("advisor2", "advisor", {"agent_id": second[0]}),
            ("executive", "executive", {}),
        ]
        for username, role, extra in people:
            auth.add_user(store, username=username, role=role, password=PASSWORD, by=None, **extra)
            _, token = auth.create_token(store, username, name="tests", by=None)
            centre.people[username] = Person(username, role, token, agent_id=extra.get("agent_id"),
                                             teams=extra.get("teams", ()))  # fmt: skip

        def one(sql: str, params: list[Any]) -> Any:
            return con.execute(sql, params).fetchall()[0][0]

        own = "SELECT id FROM interactions WHERE agent_id = ? ORDER BY started_at, id LIMIT 1"
        centre.facts = {
            "team": first[1],
            "other_team": second[1],
            "advisor_interaction": one(own, [first[0]]),
            "advisor2_interaction": one(own, [second[0]]),
            "source": "demo",
            "signal_id": one("SELECT min(signal_id) FROM signals", []),
            "person_id": one("SELECT min(person_id) FROM persons", []),
            "customer_id": one("SELECT min(customer_id) FROM interactions WHERE customer_id IS NOT NULL", []),
            "reason_id": one("SELECT min(topic_id) FROM interaction_reasons WHERE topic_id >= 0", []),
            "scorecard": one("SELECT min(scorecard_id) FROM qa_scorecards", []),
        }
    return centre
