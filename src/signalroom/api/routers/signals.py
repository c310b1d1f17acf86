"""/api/v1/signals: the ranked list of emerging signals, the interactions behind each, detection and
advisors' flags (docs/signals.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, page, page_of
from signalroom.api.services import signals as service
from signalroom.auth.roles import ANALYSE, EVERYONE, FLAG_SIGNALS, READ_INTERACTIONS
from signalroom.signals.flags import MAX_TEXT

router = APIRouter(prefix="/signals", tags=["signals"])

SignalId = Annotated[int, Path(description="The signal's id.")]


class DetectionCreate(BaseModel):
    """What `signalroom signals detect` takes (without --backtest)."""

    as_of: date | None = Field(default=None, description="The day to judge (default: the last day with contacts).")
    days: int = Field(default=7, ge=1, le=365, description="Days up to as_of whose detections make the list.")
    detectors: list[str] | None = Field(
        default=None, description="Run only these (volume, new_cluster, phrase, within, drivers; default: all)."
    )
    baseline_days: int = Field(default=14, ge=3, le=365, description="Days of baseline before the day judged.")
    min_support: int = Field(default=8, ge=1, description="Contacts behind a signal.")
    cost_per_contact: float | None = Field(default=None, ge=0, description="Cost of one contact, for the impact.")
    dry_run: bool = Field(default=False, description="Answer with the list without storing it.")


class FlagCreate(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="The pattern, e.g. 'confused by the fee letter'.")
    interaction: str | None = Field(
        default=None, max_length=300, description="An interaction you may see that shows it, as SOURCE/ID."
    )


@router.get("", operation_id="listSignals", dependencies=[allow(EVERYONE)])
def list_signals(
    store: StoreDep,
    user: CurrentUser,
    params: PageDep,
    everything: Annotated[bool, Query(alias="all", description="Also signals no longer in the latest list.")] = False,
) -> dict[str, Any]:
    """The latest ranked list (rank 1: act first), each signal with its findings, series, evidence
    (only the interactions you may see), suggested owner and its actions' status."""
    return page_of(service.list_signals(store, user, include_inactive=everything), params)


@router.get("/flags", operation_id="listSignalFlags", dependencies=[allow(FLAG_SIGNALS)])
def list_flags(
    store: StoreDep,
    user: CurrentUser,
    params: PageDep,
    advisor: Annotated[
        str | None, Query(description="Only this advisor's flags (an advisor sees only theirs).")
    ] = None,
    since: Annotated[date | None, Query(description="Only flags from this day on (YYYY-MM-DD, UTC).")] = None,
) -> dict[str, Any]:
    """Advisors' flags grouped by what they describe (`signalroom signals flags`), each group with
    its count, advisors and the detected signal it matches in the latest ranked list."""
    return page_of(service.flag_groups(store, user, advisor=advisor, since=since), params)


@router.post("/flags", status_code=201, operation_id="flagSignal", dependencies=[allow(FLAG_SIGNALS)])
def flag_signal(store: StoreDep, user: CurrentUser, body: Annotated[FlagCreate, Body()]) -> dict[str, Any]:
    """Flags a pattern heard from customers, as you (the flag's advisor is your user name),
    optionally with an interaction you may see that shows it. Announced as a flag.created event;
    the next detection groups it into the ranked list."""
    return service.add_flag(store, user, text=body.text, interaction=body.interaction)


@router.post("/detect", operation_id="detectSignals", dependencies=[allow(ANALYSE)])
def detect_signals(store: StoreDep, body: Annotated[DetectionCreate, Body()]) -> dict[str, Any]:
    """Runs every detector (`signalroom signals detect`), merges their findings into one ranked,
    routed list and stores it (unless dry_run), announcing new and changed signals."""
    return service.detect(
        store, as_of=body.as_of, days=body.days, detectors=body.detectors, baseline_days=body.baseline_days,
        min_support=body.min_support, cost_per_contact=body.cost_per_contact, dry_run=body.dry_run,
    )  # fmt: skip


@router.get("/{signal_id}", operation_id="getSignal", dependencies=[allow(EVERYONE)])
def get_signal(store: StoreDep, user: CurrentUser, signal_id: SignalId) -> dict[str, Any]:
    """One signal: every detector's finding, the series, the evidence you may see, its owner and
    the routing rule that chose it, and its actions."""
    return service.get_signal(store, user, signal_id)


@router.get("/{signal_id}/interactions", operation_id="listSignalInteractions",
            dependencies=[allow(READ_INTERACTIONS)])  # fmt: skip
def list_signal_interactions(
    store: StoreDep, user: CurrentUser, signal_id: SignalId, params: PageDep
) -> dict[str, Any]:
    """The interactions behind the signal that you may see: the inbound contacts about its reasons
    on the days its findings cover (for a driver analysis, the period analysed) and its evidence,
    the evidence first, then the latest first."""
    items, total = service.interactions_behind(store, user, signal_id, limit=params.limit, offset=params.offset)
    return page(items, total, params)
