"""Names of the analysis stages and embedding tiers (light: the CLI's help reads them)."""

STAGE_ORDER = ("redact", "purpose", "embed", "reasons", "sentiment", "metrics", "situation")
TIERS = ("fast", "quality")
DEFAULT_BATCH_SIZE = 1000  # interactions per analysis batch
