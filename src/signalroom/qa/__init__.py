"""Automated QA: scorecards, scoring and calibration (docs/qa.md)."""
