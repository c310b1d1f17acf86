"""The customer pages: search by any identifier or name, and one person's cross-channel timeline
with the context card of their latest contact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow, client_address
from signalroom.api.errors import ApiError
from signalroom.api.services import customers as service
from signalroom.auth.roles import READ_CUSTOMERS, READ_INTERACTIONS
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)

RESULTS = 50


@router.get("/customers", response_class=HTMLResponse, dependencies=[allow(READ_CUSTOMERS)])
def customers_page(
    request: Request, store: StoreDep, found: AuthDep, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    message = ""
    try:
        people = service.search(store, q, limit=RESULTS)
    except ApiError as exc:
        if exc.status != 422:
            raise
        people, message = [], exc.message.removeprefix("q: ")
    context = {"q": q, "people": people, "message": message}
    return render(request, "customers.html", context, user=found.user, csrf_token=found.csrf_token,
                  title="Customers")  # fmt: skip


@router.get("/customers/{person_id}", response_class=HTMLResponse, dependencies=[allow(READ_CUSTOMERS)])
def customer_page(request: Request, store: StoreDep, found: AuthDep, person_id: str) -> Response:
    person = service.person_view(store, found.user, person_id, client=client_address(request))
    names = ", ".join(n["name"] for n in person["names"][:3]) or "no name known"
    context = {"person": person, "names": names, "interaction_links": found.user.role in READ_INTERACTIONS}
    return render(request, "customer.html", context, user=found.user, csrf_token=found.csrf_token,
                  title=f"Customer {person['person_id']}")  # fmt: skip
