"""/api/v1/signals (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["signals"])
