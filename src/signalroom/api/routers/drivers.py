"""/api/v1/drivers (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["drivers"])
