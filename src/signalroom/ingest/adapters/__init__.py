"""Built-in adapters; importing this package registers them."""

from signalroom.ingest.adapters import (
    ccai,  # noqa: F401
    contact_lens,  # noqa: F401
    genesys,  # noqa: F401
    jsonl,  # noqa: F401
    utterance_csv,  # noqa: F401
    zendesk,  # noqa: F401
)
