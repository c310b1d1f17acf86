"""/api/v1/customers: find a customer by any identifier, and their cross-channel timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, client_address, page_of
from signalroom.api.services import customers as service
from signalroom.auth.roles import READ_CUSTOMERS

router = APIRouter(tags=["customers"])

# A search answers at most this many people; narrow it with a longer name or an identifier.
SEARCH_LIMIT = 100


@router.get("/customers", dependencies=[allow(READ_CUSTOMERS)], operation_id="searchCustomers")
def search_customers(
    store: StoreDep,
    params: PageDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A person id (P42), customer id, email, phone, handle or account number (normalised as "
            "records are; kind:value to say which), or part of a name. Left out: the people with the most contacts.",
        ),
    ] = None,
) -> dict[str, Any]:
    """The people an identifier or name matches, each with what matched, their contacts and channels."""
    return page_of(service.search(store, q, limit=SEARCH_LIMIT), params)


@router.get("/customers/{person_id}", dependencies=[allow(READ_CUSTOMERS)], operation_id="getCustomer")
def get_customer(
    request: Request,
    store: StoreDep,
    user: CurrentUser,
    person_id: Annotated[str, Path(description="The person id, P42 (or 42).")],
) -> dict[str, Any]:
    """One person: names, identifiers, profiles, the cross-channel timeline (interactions the caller
    may see, events and surveys, in time order: the latest 200) and the context card of their latest
    interaction. Recorded in the audit log as ``view_customer``."""
    return service.person_view(store, user, person_id, client=client_address(request))
