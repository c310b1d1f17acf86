"""Built-in adapters; importing this package registers them."""

from signalroom.ingest.adapters import jsonl  # noqa: F401
