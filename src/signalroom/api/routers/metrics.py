"""/api/v1/metrics: outcome metrics (``signalroom metrics``) and the overview's KPI trend."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from signalroom.api.deps import FiltersDep, StoreDep, allow
from signalroom.api.services import analytics
from signalroom.auth.roles import READ_AGGREGATES
from signalroom.journeys.metrics import GROUPINGS, METRICS

router = APIRouter(tags=["metrics"], dependencies=[allow(READ_AGGREGATES)])

WindowDays = Annotated[int, Query(description="Repeat-contact window in days (repeat, FCR, next issue).")]
ChurnDays = Annotated[int, Query(description="Churn window in days.")]


@router.get("/metrics", operation_id="getMetrics")
def get_metrics(
    store: StoreDep,
    filters: FiltersDep,
    by: Annotated[str | None, Query(description=f"Break down by {', '.join(GROUPINGS)}.")] = None,
    metric: Annotated[
        list[str] | None, Query(description=f"Only this metric (repeatable): {', '.join(METRICS)}.")
    ] = None,
    window_days: WindowDays = 7,
    churn_days: ChurnDays = 30,
) -> dict[str, Any]:
    """Outcome metrics in total and by group, as `signalroom metrics --json` gives them: each with
    its value, numerator, denominator and unit, the definitions and notes (`flags`). `from`/`to`
    bound the period; `channel`, `reason`, `queue`, `team` and `agent` keep the contacts,
    interactions and surveys whose value of the `by` grouping of the same name is the one given
    (self-service failure has a channel only: with another filter it measures nothing, and a flag
    says so). A channel that does not exist or an unknown reason id answers 422."""
    return analytics.metrics_report(
        store, filters, by=by, metrics=metric, window_days=window_days, churn_days=churn_days
    )


@router.get("/metrics/trend", operation_id="getMetricsTrend")
def get_metrics_trend(
    store: StoreDep,
    filters: FiltersDep,
    interval: Annotated[str, Query(description="day or week.")] = "day",
    window_days: WindowDays = 7,
    churn_days: ChurnDays = 30,
) -> dict[str, Any]:
    """The overview's KPIs per day or week and over the period (by default the last 30 days of
    data): contacts, repeat rate, first-contact resolution, bot containment, CSAT as surveyed and
    CSAT as predicted for every interaction (`signalroom surveys bias`). A value is null where the
    data cannot support it (a repeat window that has not ended yet). The common filters apply to
    every KPI as they do to `GET /metrics` (CSAT predicted: to the interactions)."""
    return analytics.kpi_trend(store, filters, interval=interval, window_days=window_days, churn_days=churn_days)
