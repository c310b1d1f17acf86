"""/api/v1/agents (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["agents"])
