"""``signalroom analyze``: run the stages, fit or refit the contact-reason model, assign reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from signalroom.journeys.episodes import EpisodeReport, build_episodes
from signalroom.pipeline.base import PassThrough, Stage
from signalroom.pipeline.names import DEFAULT_BATCH_SIZE, STAGE_ORDER, TIERS
from signalroom.pipeline.reasons import COHERENCE_BY_TIER, ReasonModel, Taxonomy
from signalroom.pipeline.reasons.listing import resolve_tier
from signalroom.pipeline.runner import AnalysisSummary, Analyzer
from signalroom.pipeline.stages import (
    ConversationMetricsStage,
    EmbedStage,
    PurposeStage,
    ReasonStage,
    RedactStage,
    SentimentStage,
    SituationStage,
)
from signalroom.store import analysis_writes, reason_models, taxonomies
from signalroom.store.warehouse import Store

# Fewer interactions than this with a purpose text: no reasons are discovered yet.
MIN_TO_FIT = 20


class AnalyzeError(ValueError):
    pass


@dataclass
class AnalyzeReport:
    run: AnalysisSummary
    model_version: int | None = None
    refitted: bool = False
    topics: int = 0
    assigned: int = 0
    note: str | None = None
    taxonomy_version: int | None = None  # a seeded taxonomy assigns the reasons (method taxonomy)
    episodes: EpisodeReport | None = None  # rebuilt after the reasons are assigned
    signals: list[dict[str, Any]] | None = None  # the ranked list detected after the episodes
    signals_note: str | None = None  # why there is no list

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.run.to_dict(),
            "episodes": self.episodes.to_dict() if self.episodes else None,
            "signals": self.signals,
            "signals_note": self.signals_note,
            "reasons": {
                "model_version": self.model_version,
                "refitted": self.refitted,
                "topics": self.topics,
                "assigned": self.assigned,
                "note": self.note,
                "method": "discovered" if self.taxonomy_version is None else "taxonomy",
                "taxonomy_version": self.taxonomy_version,
            },
        }


def build_stages(
    *,
    tier: str = "fast",
    skip: Iterable[str] = (),
    model: ReasonModel | None = None,
    model_version: int | None = None,
    taxonomy: Taxonomy | None = None,
    taxonomy_version: int | None = None,
) -> list[Stage]:
    skipped = set(skip)
    unknown = skipped - set(STAGE_ORDER)
    if unknown:
        raise AnalyzeError(f"unknown stage(s) {', '.join(sorted(unknown))}; stages are {', '.join(STAGE_ORDER)}")
    if tier not in TIERS:
        raise AnalyzeError(f"unknown embedding tier {tier!r}; expected fast or quality")
    if "embed" in skipped and "reasons" not in skipped:
        raise AnalyzeError("reasons need the embed stage: skip both, or neither")
    if "purpose" in skipped and "embed" not in skipped:
        raise AnalyzeError("embed needs the purpose stage: skip both, or neither")
    made: dict[str, Stage] = {
        "redact": RedactStage(),
        "purpose": PurposeStage(),
        "embed": EmbedStage(tier=tier),
        "reasons": ReasonStage(
            tier=tier,
            model=model,
            model_version=model_version,
            taxonomy=taxonomy,
            taxonomy_version=taxonomy_version,
        ),
        "sentiment": SentimentStage(),
        "metrics": ConversationMetricsStage(),
        "situation": SituationStage(),
    }
    return [PassThrough(replaces=name) if name in skipped else made[name] for name in STAGE_ORDER]


def analyze(
    store: Store,
    *,
    full: bool = False,
    tier: str | None = None,
    skip: Iterable[str] = (),
    refit: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    detect_signals: bool = True,
) -> AnalyzeReport:
    """Analyse (below), then rebuild the episodes with the reasons just assigned (set-based SQL:
    about 2.4 s per 100,000 interactions; docs/journeys.md#episodes), then detect and store the
    ranked list of emerging signals as of the last day (docs/signals.md)."""
    report = _analyze(
        store,
        full=full,
        tier=resolve_tier(store, tier),
        skip=skip,
        refit=refit,
        batch_size=batch_size,
        progress=progress,
    )
    report.episodes = build_episodes(store)
    if detect_signals:
        _detect_signals(store, report)
    return report


def _detect_signals(store: Store, report: AnalyzeReport) -> None:
    from signalroom.signals.detect import SignalsError, detect, save

    try:
        run = detect(store)
    except SignalsError as exc:
        report.signals_note = str(exc)
        return
    save(store, run)
    report.signals = [s.to_dict() for s in run.signals]


def _analyze(
    store: Store,
    *,
    full: bool,
    tier: str,
    skip: Iterable[str],
    refit: bool,
    batch_size: int,
    progress: Callable[[int, int], None] | None,
) -> AnalyzeReport:
    """Analyse what is new or changed (everything with ``full``); discover the contact reasons
    when no model exists yet (or with ``refit``), keeping the ids of the reasons found before.
    With a seeded taxonomy (``signalroom topics seed``) interactions are assigned to its reasons
    instead; the discovered model is still fitted (it shows what the taxonomy does not cover)."""
    skipped = set(skip)
    stored = reason_models.latest_model(store, tier)
    model = ReasonModel.from_json(stored[1]) if stored else None
    version = stored[0] if stored else None
    seeded = taxonomies.latest_taxonomy(store, tier)
    taxonomy = Taxonomy.from_json(seeded[1]) if seeded else None
    stages = build_stages(
        tier=tier,
        skip=skipped,
        model=None if refit else model,
        model_version=version,
        taxonomy=taxonomy,
        taxonomy_version=seeded[0] if seeded else None,
    )
    summary = Analyzer(store, stages, batch_size=batch_size, progress=progress).run(full=full)
    report = AnalyzeReport(summary, model_version=version, topics=len(model.topics_) if model else 0)
    report.taxonomy_version = seeded[0] if seeded else None
    if "reasons" in skipped or (model is not None and not refit):
        return report
    keys, texts, matrix = reason_models.purpose_embeddings(store, tier)
    if len(keys) < MIN_TO_FIT:
        report.note = f"only {len(keys)} interactions say why they came: reasons are discovered from {MIN_TO_FIT}"
        return report
    fitted = ReasonModel(coherence=COHERENCE_BY_TIER[tier]).fit(texts, matrix, previous=model)
    report.model_version = reason_models.save_model(
        store, tier=tier, params=fitted.get_params(), state=fitted.to_json(), fitted_on=len(keys)
    )
    report.refitted, report.topics = True, len(fitted.topics_)
    if taxonomy is not None:
        # The taxonomy's assignments stand; the discovered reasons feed `topics candidates`.
        return report
    assignments = dict(zip(keys, fitted.assign(texts, matrix), strict=True))
    analysis_writes.write_reasons(store, report.model_version, "discovered", assignments, run_id=summary.run_id)
    report.assigned = len(assignments)
    return report
