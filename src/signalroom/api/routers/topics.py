"""/api/v1/topics (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["topics"])
