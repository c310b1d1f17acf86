"""Emerging signals: what is newly going wrong, before the KPIs move (docs/signals.md)."""
