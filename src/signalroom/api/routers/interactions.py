"""/api/v1/interactions (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["interactions"])
