"""/api/v1/webhooks (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["webhooks"])
