"""/api/v1/qa (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["qa"])
