"""/api/v1/users: the admin's management of users and their API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, page_of
from signalroom.api.errors import ApiError
from signalroom.auth import users as auth
from signalroom.auth.roles import ADMIN_ONLY

router = APIRouter(prefix="/users", tags=["users"], dependencies=[allow(ADMIN_ONLY)])

Username = Annotated[str, Path(description="The user name.")]


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    role: str
    display_name: str | None = None
    password: str | None = Field(default=None, description="None: a user for API tokens only.")
    teams: list[str] = Field(default_factory=list, description="A supervisor's teams.")
    agent_id: str | None = Field(default=None, description="An advisor's agent id.")


class UserUpdate(BaseModel):
    display_name: str | None = None
    role: str | None = None
    teams: list[str] | None = None
    agent_id: str | None = None
    disabled: bool | None = None
    password: str | None = None


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What uses the token.")


def _guard(call: Any) -> Any:
    try:
        return call()
    except auth.UserError as exc:
        status = 404 if str(exc).startswith("no user") else 409 if "already exists" in str(exc) else 422
        raise ApiError(status, str(exc)) from None


@router.get("", operation_id="listUsers")
def list_users(store: StoreDep, page: PageDep) -> dict[str, Any]:
    """Every user, enabled or not."""
    return page_of([u.to_dict() for u in auth.list_users(store)], page)


@router.post("", status_code=201, operation_id="addUser")
def add_user(store: StoreDep, user: CurrentUser, body: Annotated[UserCreate, Body()]) -> dict[str, Any]:
    """Adds a user with a role (a supervisor with teams, an advisor with their agent id)."""
    created = _guard(
        lambda: auth.add_user(
            store,
            username=body.username,
            role=body.role,
            password=body.password,
            display_name=body.display_name,
            teams=tuple(body.teams),
            agent_id=body.agent_id,
            by=user,
        )
    )
    result: dict[str, Any] = created.to_dict()
    return result


@router.get("/{username}", operation_id="getUser")
def get_user(store: StoreDep, username: Username) -> dict[str, Any]:
    """One user: their role, teams or agent id, and whether they are enabled."""
    """One user: role, scope, whether enabled."""
    result: dict[str, Any] = _guard(lambda: auth.get_user(store, username=username)).to_dict()
    return result


@router.patch("/{username}", operation_id="updateUser")
def update_user(
    store: StoreDep, user: CurrentUser, username: Username, body: Annotated[UserUpdate, Body()]
) -> dict[str, Any]:
    """Changes a user's name, role, teams, agent, password, or disables them (ending their sessions)."""
    updated = _guard(
        lambda: auth.update_user(
            store,
            username,
            by=user,
            display_name=body.display_name,
            role=body.role,
            teams=None if body.teams is None else tuple(body.teams),
            agent_id=body.agent_id,
            disabled=body.disabled,
            password=body.password,
        )
    )
    result: dict[str, Any] = updated.to_dict()
    return result


@router.get("/{username}/tokens", operation_id="listTokens")
def list_tokens(store: StoreDep, username: Username) -> dict[str, Any]:
    """The user's API tokens: name, when made, whether revoked (never the tokens themselves)."""
    """The user's API tokens: names, when made and last used, whether revoked (never the tokens)."""
    tokens = _guard(lambda: auth.list_tokens(store, username))
    return {"items": tokens, "total": len(tokens)}


@router.post("/{username}/tokens", status_code=201, operation_id="createToken")
def create_token(
    store: StoreDep, user: CurrentUser, username: Username, body: Annotated[TokenCreate, Body()]
) -> dict[str, Any]:
    """A new API token for the user, shown only in this answer."""
    token_id, token = _guard(lambda: auth.create_token(store, username, name=body.name, by=user))
    return {"token_id": token_id, "token": token, "username": username, "name": body.name}


@router.delete("/{username}/tokens/{token_id}", operation_id="revokeToken")
def revoke_token(store: StoreDep, user: CurrentUser, username: Username, token_id: int) -> dict[str, Any]:
    """Revokes one of the user's API tokens: it is refused from the next request on."""
    """Revokes one of the user's API tokens at once."""
    tokens = _guard(lambda: auth.list_tokens(store, username))
    if not any(t["token_id"] == token_id for t in tokens):
        raise ApiError(404, f"user {username} has no token #{token_id}")
    _guard(lambda: auth.revoke_token(store, token_id, by=user))
    return {"token_id": token_id, "revoked": True}
