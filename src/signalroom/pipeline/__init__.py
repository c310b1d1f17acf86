"""The analysis pipeline: small, swappable stages over batches of interactions."""
