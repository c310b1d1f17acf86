"""/api/v1/routing (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["routing"])
