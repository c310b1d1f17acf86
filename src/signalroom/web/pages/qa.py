"""The QA pages: scorecards and compliance risk against what a 2% review sample would have shown
(/qa), the disputes queue with its review form (/qa/disputes) and calibration (/qa/calibration).
Also the form target of the interaction page's dispute button (POST /qa/disputes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow
from signalroom.api.errors import ApiError
from signalroom.api.services import qa as service
from signalroom.api.services.qa import DISPUTE_READ
from signalroom.auth.roles import DISPUTE, QA_MANAGE, QA_READ
from signalroom.auth.users import User
from signalroom.web.render import redirect_back, render

router = APIRouter(include_in_schema=False)


def _manages(user: User) -> bool:
    return user.role in QA_MANAGE


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 2)


def _risk_chart(criteria: list[dict[str, Any]], names: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Floating bars: each criterion's 95% interval from every interaction beside the one a 2% review
    sample would give — how much a small sample does not know."""
    labels, full, sample = [], [], []
    for r in criteria:
        labels.append(names.get((r["scorecard_id"], r["criterion_id"]), {}).get("name") or r["criterion_id"])
        ci, sci = r["prevalence_ci"], r["sample"]["ci"]
        full.append([_pct(ci[0]), _pct(ci[1])] if ci else None)
        sample.append([_pct(sci[0]), _pct(sci[1])] if sci else None)
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": "Every interaction: 95% interval", "data": full, "backgroundColor": "#2456d6"},
                {"label": "A 2% review sample: 95% interval", "data": sample, "backgroundColor": "#f0b429"},
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"min": 0, "max": 100, "title": {"display": True, "text": "failure rate, %"}}},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


@router.get("/qa", response_class=HTMLResponse, dependencies=[allow(QA_READ)])
def page_qa(request: Request, store: StoreDep, found: AuthDep) -> Response:
    cards = service.scorecards(store)
    names = service.criterion_names(store)
    risk = service.risk(store, found.user.scope)
    open_disputes = len(service.disputes(store, found.user, status="open"))
    context = {
        "cards": cards, "names": names, "risk": risk, "chart": _risk_chart(risk["criteria"], names),
        "open_disputes": open_disputes, "manages": _manages(found.user),
    }  # fmt: skip
    return render(request, "qa.html", context, user=found.user, csrf_token=found.csrf_token, title="QA")


@router.get("/qa/disputes", response_class=HTMLResponse, dependencies=[allow(DISPUTE_READ)])
def page_qa_disputes(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    status: Annotated[Literal["open", "accepted", "rejected", "all"], Query()] = "open",
) -> Response:
    listed = service.disputes(store, found.user, status=None if status == "all" else status)
    listed.sort(key=lambda d: d["dispute_id"], reverse=status != "open")
    context = {
        "disputes": listed, "status": status, "names": service.criterion_names(store),
        "manages": _manages(found.user),
    }  # fmt: skip
    return render(request, "qa_disputes.html", context, user=found.user, csrf_token=found.csrf_token,
                  title="QA disputes")  # fmt: skip


@router.post("/qa/disputes", dependencies=[allow(DISPUTE)])
def page_raise_dispute(
    store: StoreDep,
    found: AuthDep,
    id: Annotated[str, Form(max_length=200)] = "",
    criterion: Annotated[str, Form(max_length=200)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    scorecard: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The dispute button's form (on the interaction page): raised as the logged-in user, then back
    where it came from with ``?disputed=ID`` or ``?error=…``."""
    user = found.user
    fallback = f"/agents/{user.agent_id}" if user.scope.own_only and user.agent_id else "/qa/disputes"
    if not id.strip() or not criterion.strip():
        return redirect_back(back, fallback, error="a dispute needs the interaction and the criterion")
    try:
        raised = service.raise_dispute(store, user, interaction_id=id.strip(), criterion=criterion.strip(),
                                       comment=comment, scorecard_id=scorecard.strip() or None,
                                       source=source.strip() or None)  # fmt: skip
    except ApiError as exc:
        return redirect_back(back, fallback, error=exc.message)
    return redirect_back(back, fallback, disputed=raised["dispute_id"])


@router.post("/qa/disputes/{dispute_id}/review", dependencies=[allow(QA_MANAGE)])
def page_review_dispute(
    store: StoreDep,
    found: AuthDep,
    dispute_id: int,
    decision: Annotated[str, Form(max_length=20)] = "",
    value: Annotated[str, Form(max_length=20)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The review form of the disputes queue: accept (with the corrected value) or reject."""
    if decision not in ("accept", "reject"):
        return redirect_back(back, "/qa/disputes", error="choose accept or reject")
    try:
        service.review_dispute(store, found.user, dispute_id, accept=decision == "accept", value=value or None,
                               comment=comment.strip() or None)  # fmt: skip
    except ApiError as exc:
        return redirect_back(back, "/qa/disputes", error=exc.message)
    return redirect_back(back, "/qa/disputes", reviewed=dispute_id)


@router.get("/qa/calibration", response_class=HTMLResponse, dependencies=[allow(QA_READ)])
def page_qa_calibration(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    criterion: Annotated[str, Query(max_length=400)] = "",
    size: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    names = service.criterion_names(store)
    card_id, _, crit_id = criterion.partition("/")
    picks = None
    if _manages(found.user):
        picks = service.pick(store, scorecard_id=card_id or None, criterion_id=crit_id or None, size=size)
    context = {
        "calibration": service.calibration(store), "agreement": service.agreement(store, None, None),
        "picks": picks, "names": names, "criterion": criterion, "size": size, "manages": _manages(found.user),

    }  # fmt: skip
    return render(request, "qa_calibration.html", context, user=found.user, csrf_token=found.csrf_token,
                  title="QA calibration")  # fmt: skip


@router.post("/qa/calibration/record", dependencies=[allow(QA_MANAGE)])
def page_record_calibration(
    store: StoreDep,
    found: AuthDep,
    id: Annotated[str, Form(max_length=200)] = "",
    criterion: Annotated[str, Form(max_length=200)] = "",
    answer: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    scorecard: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Records the answer a calibration session agreed, from a pick on the calibration page."""
    try:
        done = service.record(store, found.user, interaction_id=id.strip(), criterion=criterion.strip(),
                              answer=answer, note=note.strip() or None, scorecard_id=scorecard.strip() or None,
                              source=source.strip() or None)  # fmt: skip
    except ApiError as exc:
        return redirect_back(back, "/qa/calibration", error=exc.message)
    label = f"{done['source']}/{done['interaction_id']} {done['scorecard_id']}/{done['criterion_id']}"
    return redirect_back(back, "/qa/calibration", recorded=label)
