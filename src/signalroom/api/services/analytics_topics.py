"""Contact reasons over the API: the listing `signalroom topics` prints, one reason, and the
analyst's edits (rename, merge, split) with the reassignment the CLI does after them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalroom.api.errors import ApiError
from signalroom.auth import audit
from signalroom.auth.users import User
from signalroom.pipeline.reasons.edits import save_and_reassign
from signalroom.pipeline.reasons.listing import reason_listing, resolve_tier
from signalroom.store import reason_models
from signalroom.store.warehouse import Store

if TYPE_CHECKING:
    from signalroom.pipeline.reasons import ReasonModel


def listing(store: Store, tier: str | None) -> dict[str, Any]:
    """The reasons in use: a seeded taxonomy's when there is one, else the discovered ones."""
    from signalroom.pipeline.seed import taxonomy_listing

    resolved = resolve_tier(store, tier)
    found = taxonomy_listing(store, resolved) or reason_listing(store, resolved)
    if found is None:
        raise ApiError(404, f"no contact reasons on the {resolved} tier yet: run `signalroom analyze` first")
    return found


def _children(reason: dict[str, Any]) -> list[dict[str, Any]]:
    children: list[dict[str, Any]] = reason.get("sub_reasons") or reason.get("children") or []
    return children


def one(store: Store, reason_id: int, tier: str | None) -> dict[str, Any]:
    """One reason (with its sub-reasons) or one sub-reason (with its parent's id)."""
    found = listing(store, tier)
    meta = {k: v for k, v in found.items() if k not in ("reasons", "unexplained")}
    for reason in found["reasons"]:
        if reason["id"] == reason_id:
            return {**meta, "reason": reason, "parent_id": None}
        for child in _children(reason):
            if child["id"] == reason_id:
                return {**meta, "reason": child, "parent_id": reason["id"]}
    raise ApiError(404, f"no reason or sub-reason {reason_id}: GET /api/v1/topics lists them")


def _load(store: Store, tier: str) -> tuple[int, ReasonModel]:
    from signalroom.pipeline.reasons import ReasonModel

    stored = reason_models.latest_model(store, tier)
    if stored is None:
        raise ApiError(404, f"no discovered reasons on the {tier} tier yet: run `signalroom analyze` first")
    return stored[0], ReasonModel.from_json(stored[1])


def rename(
    store: Store, reason_id: int, name: str, tier: str | None, *, by: User | None = None, client: str | None = None
) -> dict[str, Any]:
    """Give a reason or sub-reason a name of its own (refits keep it); the API and the settings page
    both rename here, and the audit log records who did."""
    resolved = resolve_tier(store, tier)
    version, model = _load(store, resolved)
    try:
        model.rename(reason_id, name)
    except KeyError as exc:
        raise ApiError(404, f"cannot rename {reason_id}: {exc.args[0]}") from exc
    except ValueError as exc:
        problem = [{"location": "body.name", "problem": str(exc)}]
        raise ApiError(422, f"cannot rename {reason_id}: {exc}", fields=problem) from exc
    with store.transaction():
        reason_models.replace_model_state(store, version, model.to_json())
        audit.record(store, by, action="settings_change", resource=f"reason {reason_id}",
                     detail={"name": name.strip(), "model_version": version}, client=client)  # fmt: skip
    return {"id": reason_id, "name": name.strip(), "model_version": version, "tier": resolved}


def merge(store: Store, reason_ids: list[int], tier: str | None) -> dict[str, Any]:
    """Merge reasons into the one with the smallest id; their interactions are reassigned."""
    resolved = resolve_tier(store, tier)
    with store.transaction():
        version, model = _load(store, resolved)
        try:
            kept = model.merge(reason_ids)
        except (KeyError, ValueError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
            raise ApiError(422, f"cannot merge {reason_ids}: {message}",
                           fields=[{"location": "body.ids", "problem": str(message)}]) from exc  # fmt: skip
        reassigned = save_and_reassign(store, resolved, version, model)
    return {"merged_into": kept, "reassigned": reassigned, "model_version": version, "tier": resolved}


def split(store: Store, reason_id: int, into: int, tier: str | None) -> dict[str, Any]:
    """Split a reason into ``into`` reasons; its interactions are reassigned."""
    resolved = resolve_tier(store, tier)
    with store.transaction():
        version, model = _load(store, resolved)
        if reason_id not in model.topics_:
            raise ApiError(404, f"no reason {reason_id} to split (sub-reasons cannot be split)")
        try:
            made = model.split(reason_id, into)
        except (KeyError, ValueError) as exc:
            raise ApiError(422, f"cannot split {reason_id}: {exc}",
                           fields=[{"location": "body.into", "problem": str(exc)}]) from exc  # fmt: skip
        reassigned = save_and_reassign(store, resolved, version, model)
    return {"reasons": made, "reassigned": reassigned, "model_version": version, "tier": resolved}
