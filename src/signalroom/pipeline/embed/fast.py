"""The fast tier: a static (model2vec) embedding distilled from the same MiniLM, 256 dims.

A static model looks each token's vector up and averages them: no transformer runs, so it
encodes two orders of magnitude faster, at some cost in quality (see docs/embeddings.md).

The recipe (all of it recorded in the build manifest and digested into the cache key):

1. Vocabulary: MiniLM's word pieces plus the most frequent English whole words from the
   `wordfreq` package (`VOCAB_WORDS`, letters only), so a common word gets MiniLM's vector
   for the whole word instead of an average of its pieces.
2. model2vec `distill_from_model` runs every token through MiniLM (no PCA, no weighting yet).
3. Each token is weighted by SIF, a / (a + p), with p the token's unigram probability
   estimated from wordfreq's English word frequencies (instead of model2vec's guess from the
   token's rank), then PCA to `pca_dims`.
4. The frequency-weighted mean token vector (what every text's average drifts towards) and the
   top principal direction of the frequency-weighted tokens are removed ("common component
   removal"). Both are linear, so they are baked into the table: encoding stays a lookup and
   a mean.

It is built once from the packaged MiniLM (about a minute on 2 idle cores, a few on a busy
machine) into `<cache>/models/minilm-static-<dims>-<key8>/`, where key8 digests the recipe.
Builders work in a temporary folder beside it and rename it into place, under a lock, so a
reader never sees half a model and two processes building at once cannot corrupt it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
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
    ("wordfreq", "wordfreq"),
    QUALITY_PACKAGES[1],
)
BUILD_INSTALL = 'pip install "model2vec[distill]" wordfreq'
MANIFEST = "signalroom-build.json"
DEFAULT_PCA_DIMS = 256
#: Whole English words added to MiniLM's word pieces: wordfreq's most frequent N, letters only.
VOCAB_WORDS = 50_000
#: SIF weight a / (a + p(token)), p from wordfreq. Chosen on dev data (docs/embeddings.md).
SIF_COEFFICIENT = 1e-3
#: Principal directions of the frequency-weighted token table removed after centring it.
REMOVE_COMPONENTS = 1
_WORD = re.compile(r"[a-z]+")


def _recipe(pca_dims: int) -> dict[str, Any]:
    return {
        "source_model": MINILM_MODEL_ID,
        "source_weights_sha256": MINILM_SHA256,
        "vocabulary": f"minilm word pieces + wordfreq en top {VOCAB_WORDS} [a-z]+ words",
        "pca_dims": pca_dims,
        "sif_coefficient": SIF_COEFFICIENT,
        "token_frequencies": "wordfreq en",
        "centre": "frequency-weighted mean",
        "remove_components": REMOVE_COMPONENTS,
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


@contextlib.contextmanager
def _quiet_loggers(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def english_vocabulary(n: int = VOCAB_WORDS) -> list[str]:
    """wordfreq's n most frequent English words, keeping only plain lower-case words (a-z)."""
    import wordfreq

    return [w for w in wordfreq.top_n_list("en", n) if _WORD.fullmatch(w)]


def token_probabilities(tokenizer: Any) -> NDArray[np.float64]:
    """Each token's unigram probability: wordfreq's English word frequencies, every word split
    by the static model's own tokenizer. Tokens that no word produces get the smallest seen."""
    import wordfreq
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tokenizer.to_str())  # a copy that never pads
    tok.no_padding()
    tok.no_truncation()
    freqs = wordfreq.get_frequency_dict("en")
    words = list(freqs)
    pieces = [encoding.ids for encoding in tok.encode_batch(words, add_special_tokens=False)]
    ids = np.fromiter((i for row in pieces for i in row), dtype=np.int64)
    per_piece = np.repeat(np.fromiter((freqs[w] for w in words), dtype=np.float64), [len(row) for row in pieces])
    counts = np.bincount(ids, weights=per_piece, minlength=tok.get_vocab_size()).astype(np.float64)
    p = counts / counts.sum()
    seen = p[p > 0]
    out: NDArray[np.float64] = np.maximum(p, seen.min() if len(seen) else 1.0 / len(p))
    return out


def post_process(
    vectors: NDArray[Any],
    probabilities: NDArray[np.float64],
    *,
    pca_dims: int | None,
    sif_coefficient: float = SIF_COEFFICIENT,
    remove_components: int = REMOVE_COMPONENTS,
) -> NDArray[np.float32]:
    """Raw token vectors -> the static table: SIF weights, PCA, common-component removal.

    Every step after the weighting is linear, so a text's mean over the table equals the same
    steps applied to its mean over the raw vectors: the post-processing costs nothing at encode
    time.
    """
    x = np.asarray(vectors, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    if x.ndim != 2 or len(p) != len(x):
        raise ValueError(f"{len(p)} probabilities for a table of shape {x.shape}")
    weights = sif_coefficient / (sif_coefficient + p)
    if pca_dims is not None and pca_dims < x.shape[1]:
        centred = x - x.mean(axis=0)
        _, vecs = np.linalg.eigh(centred.T @ centred / max(len(x) - 1, 1))
        x = centred @ vecs[:, ::-1][:, :pca_dims]
    x = x * weights[:, None]
    share = p / p.sum()
    x = x - share @ x
    if remove_components:
        _, vecs = np.linalg.eigh((x * share[:, None]).T @ x)
        top = vecs[:, ::-1][:, :remove_components]
        x = x - (x @ top) @ top.T
    table: NDArray[np.float32] = x.astype(np.float32)
    return table


def _distill(source: Path, pca_dims: int) -> Any:
    """The slow part: run every vocabulary token through MiniLM, then weight and reduce."""
    set_offline()
    from model2vec import StaticModel
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    # Its "Encoding tokens" bar cannot be turned off: the one-line notice before the build says
    # what is happening instead. model2vec and skeletoken would log a line per vocabulary word.
    with (
        quiet_transformers(),
        _quiet_loggers("model2vec", "skeletoken"),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        model = AutoModel.from_pretrained(str(source), local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(source), use_fast=True, local_files_only=True)
        # MiniLM's tokenizer pads to a fixed 128 tokens; model2vec 0.10 encodes each added word
        # with it and would average 128 positions, padding included (and take ~10x as long).
        tokenizer.backend_tokenizer.no_padding()
        known = tokenizer.get_vocab()
        vocabulary = [word for word in english_vocabulary() if word not in known]
        raw = distill_from_model(
            model=model,
            tokenizer=tokenizer,  # type: ignore[arg-type]  # a fast tokenizer (use_fast=True)
            vocabulary=vocabulary,
            pca_dims=None,
            sif_coefficient=None,
            quantize_to="float32",
        )
    table = post_process(raw.embedding, token_probabilities(raw.tokenizer), pca_dims=pca_dims)
    config = {
        **raw.config,
        "apply_pca": pca_dims,
        "sif_coefficient": SIF_COEFFICIENT,
        "hidden_dim": int(table.shape[1]),
    }
    return StaticModel(
        vectors=table.astype(np.float16),
        tokenizer=raw.tokenizer,
        config=config,
        normalize=True,
        base_model_name=MINILM_MODEL_ID,
    )


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
    require("building the fast embedding model", BUILD_PACKAGES, install=BUILD_INSTALL)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(target):
        if not force and (target / MANIFEST).is_file():  # another process built it while we waited
            return target
        source, source_sha = verified_minilm(cache_dir=cache_dir)
        log.warning("signalroom: building the fast embedding model once (about a minute) into %s", target)
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
                # Recorded, not in the cache key: wordfreq is needed to build, not to encode.
                "wordfreq": package_version("wordfreq"),
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
            "vocabulary": m.get("vocabulary"),
            "sif_coefficient": m.get("sif_coefficient"),
            "token_frequencies": m.get("token_frequencies"),
            "remove_components": m.get("remove_components"),
            "built_with_model2vec": m.get("model2vec"),
            "built_with_wordfreq": m.get("wordfreq"),
            "model2vec": package_version("model2vec"),
        }
