"""The fast tier: a static (model2vec) embedding distilled from the same MiniLM, 256 dims.

A static model looks each token's vector up and averages them: no transformer runs, so it
encodes two orders of magnitude faster, at some cost in quality (see docs/embeddings.md).
It is built once from the packaged MiniLM (about 20 s, more on a busy machine) into
`<cache>/models/minilm-static-<dims>-<key8>/`, where key8 digests the recipe: the source
weights' hash, the dims, model2vec's version and EMBED_VERSION. Builders work in a temporary
folder beside it and rename it into place, under a lock, so a reader never sees half a model
and two processes building at once cannot corrupt it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from signalroom.pipeline.embed.base import (
    EMBED_VERSION,
    MINILM_MODEL_ID,
    MINILM_SHA256,
    BaseEmbedder,
    EmbeddingError,
    cache_root,
    package_version,
    require,
    set_offline,
)
from signalroom.pipeline.embed.quality import QUALITY_PACKAGES, quiet_transformers, verified_minilm
from signalroom.pipeline.embed.weights import sha256_file, verify_weights

log = logging.getLogger(__name__)

FAST_PACKAGES = (("model2vec", "model2vec"),)
BUILD_PACKAGES = (
    ("model2vec", "model2vec[distill]"),
    ("transformers", "model2vec[distill]"),
    ("torch", "model2vec[distill]"),
    ("sklearn", "model2vec[distill]"),
    QUALITY_PACKAGES[1],
)
MANIFEST = "signalroom-build.json"
DEFAULT_PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4  # model2vec's default, pinned so the recipe is explicit


def _recipe(pca_dims: int) -> dict[str, Any]:
    return {
        "source_model": MINILM_MODEL_ID,
        "source_weights_sha256": MINILM_SHA256,
        "pca_dims": pca_dims,
        "sif_coefficient": SIF_COEFFICIENT,
        "model2vec": package_version("model2vec"),
        "embed_version": EMBED_VERSION,
    }


def fast_model_dir(*, pca_dims: int = DEFAULT_PCA_DIMS, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the static model for this recipe lives (whether or not it is built yet)."""
    key = hashlib.sha256(json.dumps(_recipe(pca_dims), sort_keys=True).encode()).hexdigest()[:8]
    return cache_root(cache_dir) / "models" / f"minilm-static-{pca_dims}-{key}"


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    """Exclusive lock beside the target (POSIX); elsewhere the atomic rename alone keeps it safe."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with (target.parent / f".{target.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _distill(source: Path, pca_dims: int) -> Any:
    """The slow part: run every vocabulary token through MiniLM, reduce with PCA."""
    set_offline()
    from model2vec.distill import distill

    # Its "Encoding tokens" bar cannot be turned off: the one-line notice before the build says
    # what is happening instead.
    with quiet_transformers(), contextlib.redirect_stderr(io.StringIO()):
        return distill(model_name=str(source), pca_dims=pca_dims, sif_coefficient=SIF_COEFFICIENT)


def build_fast_model(
    force: bool = False,
    *,
    pca_dims: int = DEFAULT_PCA_DIMS,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Build the fast tier's static model unless it is there already (or `force`); return its folder."""
    target = fast_model_dir(pca_dims=pca_dims, cache_dir=cache_dir)
    if not force and (target / MANIFEST).is_file():
        return target
    require("building the fast embedding model", BUILD_PACKAGES, install='pip install "model2vec[distill]"')
    target.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(target):
        if not force and (target / MANIFEST).is_file():  # another process built it while we waited
            return target
        source, source_sha = verified_minilm(cache_dir=cache_dir)
        log.warning("signalroom: building the fast embedding model once (about 20 s) into %s", target)
        started = time.perf_counter()
        model = _distill(source, pca_dims)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
            model.save_pretrained(str(tmp))
            manifest = {
                **_recipe(pca_dims),
                "source_weights_sha256": source_sha,
                "weights_sha256": sha256_file(tmp / "model.safetensors"),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "build_seconds": round(time.perf_counter() - started, 1),
                "torch": package_version("torch"),
                "transformers": package_version("transformers"),
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
            if target.exists():  # force: move the old one aside first, then swap
                old = target.with_name(f".{target.name}-old-{os.getpid()}")
                os.replace(target, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


class FastEmbedder(BaseEmbedder):
    """The static model2vec embedding of MiniLM, loaded from the local cache (never a hub).

    Options (keyword-only): `pca_dims` (256), `cache_dir` (default `$SIGNALROOM_CACHE` or
    `~/.cache/signalroom`), `build` (True: build on first use when missing; False: raise).
    """

    name = "fast"
    default_batch_size = 1024

    def __init__(
        self,
        *,
        pca_dims: int = DEFAULT_PCA_DIMS,
        cache_dir: str | os.PathLike[str] | None = None,
        build: bool = True,
    ) -> None:
        super().__init__()
        self.pca_dims = pca_dims
        self.cache_dir = cache_dir
        self.build = build
        self._model: Any = None
        self._manifest: dict[str, Any] = {}
        self._folder: Path | None = None

    @property
    def dim(self) -> int:
        return self.pca_dims

    def _load(self) -> None:
        require('the "fast" embedding tier', FAST_PACKAGES)
        folder = fast_model_dir(pca_dims=self.pca_dims, cache_dir=self.cache_dir)
        if not (folder / MANIFEST).is_file():
            if not self.build:
                raise EmbeddingError(f"fast embedding model not built at {folder}: run build_fast_model()")
            folder = build_fast_model(pca_dims=self.pca_dims, cache_dir=self.cache_dir)
        manifest = json.loads((folder / MANIFEST).read_text())
        verify_weights(
            folder / "model.safetensors",
            manifest["weights_sha256"],
            cache_dir=self.cache_dir,
            hint="the cached fast model was changed: rebuild it with build_fast_model(force=True)",
        )
        from model2vec import StaticModel

        model = StaticModel.from_pretrained(folder, force_download=False)
        if model.dim != self.pca_dims:
            raise EmbeddingError(f"fast model at {folder} gives {model.dim}-dimensional vectors, expected {self.dim}")
        self._model, self._manifest, self._folder = model, manifest, folder

    def _encode(self, texts: list[str], batch_size: int) -> NDArray[Any]:
        result: NDArray[Any] = self._model.encode(texts, batch_size=batch_size, use_multiprocessing=False)
        return result

    def _params(self) -> dict[str, Any]:
        m = self._manifest
        return {
            "model": f"minilm-static-{self.pca_dims}",
            "weights_sha256": m.get("weights_sha256"),
            "source_model": m.get("source_model"),
            "source_weights_sha256": m.get("source_weights_sha256"),
            "pca_dims": m.get("pca_dims"),
            "sif_coefficient": m.get("sif_coefficient"),
            "built_with_model2vec": m.get("model2vec"),
            "model2vec": package_version("model2vec"),
        }
