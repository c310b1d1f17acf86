"""The command centre's REST API under /api/v1 (docs/api.md) and the app `signalroom serve` runs."""
