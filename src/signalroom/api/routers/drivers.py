"""/api/v1/drivers: what accounts for an outcome (``signalroom drivers``) and the interactions
behind each driver."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from signalroom.api.deps import CurrentUser, FiltersDep, PageDep, StoreDep, allow
from signalroom.api.services import analytics
from signalroom.auth.roles import READ_AGGREGATES, READ_INTERACTIONS
from signalroom.journeys.drivers import FAMILIES, OUTCOMES

router = APIRouter(tags=["drivers"])

Outcome = Annotated[str, Query(description=f"The outcome: {', '.join(OUTCOMES)}.")]
WindowDays = Annotated[int, Query(description="Repeat and next-issue window in days.")]
ChurnDays = Annotated[int, Query(description="Churn window in days.")]


@router.get("/drivers", operation_id="getDrivers", dependencies=[allow(READ_AGGREGATES)])
def get_drivers(
    store: StoreDep,
    filters: FiltersDep,
    outcome: Outcome,
    family: Annotated[
        list[str] | None, Query(description=f"Only this candidate family (repeatable): {', '.join(FAMILIES)}.")
    ] = None,
    top: Annotated[int, Query(description="How many drivers to show.")] = 10,
    min_units: Annotated[int, Query(description="Smallest candidate tested (units).")] = 30,
    alpha: Annotated[float, Query(description="False discovery rate (and tree-scan level).")] = 0.05,
    window_days: WindowDays = 7,
    churn_days: ChurnDays = 30,
) -> dict[str, Any]:
    """The drivers of an outcome ranked by their share beyond baseline with its 95% CI, as
    `signalroom drivers --json` gives them; each driver also carries its `key`
    (`family:value`), which `GET /drivers/interactions` takes. `channel`, `reason`, `queue`,
    `team` and `agent` restrict the population ranked to the contacts with that value (for the
    `contact` outcome, whose units are self-service events, only `channel` applies); a filtered
    family is then no candidate. An unknown outcome, family, channel or reason id answers 422."""
    config = analytics.drivers_config(
        filters, outcome=outcome, families=family, top=top, min_units=min_units, alpha=alpha,
        window_days=window_days, churn_days=churn_days,
    )  # fmt: skip
    return analytics.drivers_report(store, config)


# Interactions, not aggregates: the roles that read interactions, each within their scope (an
# executive reads summaries only).
@router.get("/drivers/interactions", operation_id="listDriverInteractions", dependencies=[allow(READ_INTERACTIONS)])
def list_driver_interactions(
    store: StoreDep,
    user: CurrentUser,
    params: PageDep,
    filters: FiltersDep,
    outcome: Outcome,
    driver: Annotated[str, Query(description="The driver's key from GET /drivers (family:value).")],
    window_days: WindowDays = 7,
    churn_days: ChurnDays = 30,
) -> dict[str, Any]:
    """The interactions behind one driver of an outcome (source, id, start, channel, agent,
    reason and whether its contact had the outcome; those with the outcome first), among those
    the caller may see: a supervisor their teams', an advisor their own; the common filters keep
    the contacts (events) that `GET /drivers` ranked with the same filters."""
    return analytics.driver_interactions(
        store, user.scope, params, outcome=outcome, driver=driver, date_from=filters.date_from,
        date_to=filters.date_to, window_days=window_days, churn_days=churn_days, filters=filters,
    )  # fmt: skip
