"""/api/v1/actions (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["actions"])
