"""Episodes: a customer's contacts about one reason, followed across channels and days.

The rules (docs/journeys.md#episodes):

1. **A contact** is an interaction and everything chained to it by ``parent_id`` — a bot session
   and the agent chat it handed off to, the legs of a transferred call, a contact-trace chain.
   Chained interactions always belong to their first interaction's contact, and so its episode.
2. **An episode** is the contacts of one person (identity resolution's ``record_persons``) about
   one contact reason (``interaction_reasons.topic_id``, from ``signalroom analyze``), each
   starting within the window (default 7 days) of the previous one.
3. A contact without a person or without a reason is an episode of its own.

The tables are rebuilt whole, in set-based SQL (``signalroom.store.episodes``), by
``signalroom episodes build`` and at the end of every ``signalroom analyze``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from signalroom.journeys.identity import resolve
from signalroom.journeys.next_issue import model_in_use
from signalroom.pipeline.situation.patterns import FAILED_EVENTS
from signalroom.store import episodes as episode_store
from signalroom.store.identity import is_stale
from signalroom.store.warehouse import Store

DEFAULT_WINDOW_DAYS = 7
# Self-service event types that count as failed, besides any type ending in one of the suffixes
# (the situation stage's list), and the event types that close an account (churn).
FAILURE_TYPES = tuple(sorted(FAILED_EVENTS))
FAILURE_SUFFIXES = ("_failed", "_error")
CHURN_TYPES = (
    "account_closed",
    "account_cancelled",
    "contract_cancelled",
    "service_cancelled",
    "subscription_cancelled",
)


@dataclass(frozen=True)
class EpisodeConfig:
    window_days: int = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError(f"the episode window must be at least 1 day, got {self.window_days}")


@dataclass(frozen=True)
class EpisodeReport:
    window_days: int
    interactions: int
    contacts: int
    episodes: int
    episodes_with_repeats: int
    most_contacts: int
    resolved_at_end: int
    without_person: int
    without_reason: int
    chained_contacts: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "definitions": "docs/journeys.md#episodes"}


def configured_window(store: Store) -> int:
    """The window of the last build (a rebuild after analysis keeps it), else the default."""
    build = episode_store.last_build(store)
    return build.window_days if build else DEFAULT_WINDOW_DAYS


def build_episodes(store: Store, config: EpisodeConfig | None = None) -> EpisodeReport:
    """Rebuild the contacts and episodes (the window of the last build when none is given), after
    bringing identity resolution up to date: episodes are made of people."""
    if is_stale(store):
        resolve(store)
    window = config.window_days if config else configured_window(store)
    build = episode_store.build_episodes(
        store, window, failure_types=FAILURE_TYPES, failure_suffixes=FAILURE_SUFFIXES, churn_types=CHURN_TYPES
    )
    summary = episode_store.episode_summary(store)
    # The context card's next-issue model learns from these contacts: fitted now, not at the first
    # card an agent opens.
    model_in_use(store)
    return EpisodeReport(
        window_days=build.window_days,
        interactions=build.interactions,
        contacts=build.contacts,
        episodes=build.episodes,
        episodes_with_repeats=summary["episodes_with_repeats"],
        most_contacts=summary["most_contacts"],
        resolved_at_end=summary["resolved_at_end"],
        without_person=summary["without_person"],
        without_reason=summary["without_reason"],
        chained_contacts=summary["chained_contacts"],
        seconds=build.seconds,
    )
