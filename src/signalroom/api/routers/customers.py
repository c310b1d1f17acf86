"""/api/v1/customers (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["customers"])
