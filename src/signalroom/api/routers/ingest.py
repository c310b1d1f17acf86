"""/api/v1/ingest (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["ingest"])
