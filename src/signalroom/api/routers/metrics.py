"""/api/v1/metrics (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["metrics"])
