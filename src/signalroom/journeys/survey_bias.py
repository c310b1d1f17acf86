"""Survey bias: who answers surveys, how they differ from everyone, and CSAT both ways
(docs/surveys.md).

Respondents are compared with all interactions of the period on reason, channel and sentiment mix,
resolution rate and the customer's closing sentiment, with a test of respondents against the rest.
A model learns CSAT from the respondents (``signalroom.journeys.survey_prediction``) and predicts
it for every interaction, so the CSAT metrics are shown as surveyed and as predicted for all.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from signalroom.journeys.survey_comparison import Measure, Mix, compare_mean, compare_mix, compare_rate, rounded
from signalroom.journeys.survey_prediction import (
    SATISFIED_FROM,
    InteractionPredictions,
    PredictionResult,
    predict_satisfaction,
)
from signalroom.store import episodes as episode_store
from signalroom.store import outcome_metrics as om
from signalroom.store import survey_bias as sb
from signalroom.store.warehouse import Store

DOCS = "docs/surveys.md"
# The metric groupings that name something an interaction has (days and weeks are not a mix).
GROUPINGS = tuple(g for g in om.GROUPINGS if g in ("channel", "reason", "queue", "team", "agent"))
SENTIMENT_LABELS = ("negative", "neutral", "positive")


class SurveyBiasError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class SurveyBiasConfig:
    """What to compute. Validated when made: a bad value is a :class:`SurveyBiasError`."""

    by: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    window_days: int = 7  # a repeat contact within this many days is a feature of the prediction
    folds: int = 5
    min_surveys: int = 50
    alpha: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in GROUPINGS:
            raise SurveyBiasError(f"cannot group by {self.by!r}: use one of {', '.join(GROUPINGS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise SurveyBiasError(f"--from {self.date_from} is after --to {self.date_to}")
        if self.window_days < 1:
            raise SurveyBiasError(f"window_days must be at least 1, got {self.window_days}")
        if not 2 <= self.folds <= 20:
            raise SurveyBiasError(f"folds must be between 2 and 20, got {self.folds}")
        if self.min_surveys < 2 * self.folds:
            raise SurveyBiasError(f"min_surveys must be at least 2 × folds ({2 * self.folds}), got {self.min_surveys}")
        if not 0 < self.alpha < 1:
            raise SurveyBiasError(f"alpha must be between 0 and 1, got {self.alpha}")


@dataclass(frozen=True)
class BothWays:
    """CSAT as the respondents answered it, and as predicted over every interaction."""

    group: str
    key: Any
    respondents: int
    interactions: int
    surveyed_csat: float | None  # share 4–5 among answers
    surveyed_csat_mean: float | None
    predicted_csat: float | None  # mean P(satisfied) over all interactions
    predicted_csat_mean: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "key": self.key,
            "respondents": self.respondents,
            "interactions": self.interactions,
            "surveyed_csat": rounded(self.surveyed_csat),
            "surveyed_csat_mean": rounded(self.surveyed_csat_mean),
            "predicted_csat": rounded(self.predicted_csat),
            "predicted_csat_mean": rounded(self.predicted_csat_mean),
        }


@dataclass(frozen=True)
class SurveyBiasReport:
    config: SurveyBiasConfig
    interactions: int
    surveyed: int  # interactions with an answer (CSAT, NPS or CES)
    mixes: tuple[Mix, ...]
    measures: tuple[Measure, ...]
    prediction: PredictionResult
    total: BothWays
    groups: tuple[BothWays, ...]
    flags: tuple[str, ...]
    # Per interaction, for callers that need them (never serialised: one row per interaction).
    rows: sb.InteractionRows = field(repr=False, compare=False)
    predictions: InteractionPredictions | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        c = self.config
        return {
            "by": c.by,
            "from": c.date_from.isoformat() if c.date_from else None,
            "to": c.date_to.isoformat() if c.date_to else None,
            "interactions": self.interactions,
            "surveyed": self.surveyed,
            "response_share": rounded(self.surveyed / self.interactions if self.interactions else None),
            "mixes": [m.to_dict() for m in self.mixes],
            "measures": [m.to_dict() for m in self.measures],
            "prediction": self.prediction.to_dict(),
            "total": self.total.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "alpha": c.alpha,
            "docs": DOCS,
            "flags": list(self.flags),
        }


# -- the report ----------------------------------------------------------------------------------


def _reason_keys(rows: sb.InteractionRows) -> list[int | None]:
    return [None if np.isnan(v) else int(v) for v in rows.numbers["reason"]]


def _group_keys(rows: sb.InteractionRows, by: str) -> list[Hashable]:
    return list(_reason_keys(rows)) if by == "reason" else list(rows.text[by])


def _ordered(keys: Sequence[Hashable]) -> list[Hashable]:
    """Most frequent first; the missing value last."""
    counts: dict[Hashable, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    return sorted(counts, key=lambda k: (k is None, -counts[k], str(k)))


def _both_ways(
    group: str,
    key: Any,
    mask: npt.NDArray[np.bool_],
    csat: npt.NDArray[np.float64],
    pred: InteractionPredictions | None,
) -> BothWays:
    answers = csat[mask & ~np.isnan(csat)]
    n = int(mask.sum())
    return BothWays(
        group,
        key,
        len(answers),
        n,
        float((answers >= SATISFIED_FROM).mean()) if len(answers) else None,
        float(answers.mean()) if len(answers) else None,
        float(pred.p_satisfied[mask].mean()) if pred is not None and n else None,
        float(pred.score[mask].mean()) if pred is not None and n else None,
    )


def _episode_flags(store: Store) -> list[str]:
    build = episode_store.last_build(store)
    if build is None:
        return ["episodes were never built: reasons and repeat contacts are unknown (run `signalroom episodes build`)"]
    if not episode_store.build_is_current(store, build):
        return ["episodes were built before the latest load or reason assignment: run `signalroom episodes build`"]
    return []


def _period_rows(store: Store, config: SurveyBiasConfig) -> sb.InteractionRows:
    """The period's interactions with their features; an error when there is nothing to learn from."""
    rows = sb.interaction_rows(
        store, window_days=config.window_days, date_from=config.date_from, date_to=config.date_to
    )
    if not len(rows):
        raise SurveyBiasError("no interactions in the period: nothing to compare")
    if not (rows.numbers["surveyed"] == 1).any():
        raise SurveyBiasError(
            "no survey answers about the period's interactions (a survey counts when it names its interaction "
            "and answers CSAT, NPS or CES): nothing to compare"
        )
    return rows


def predicted_satisfaction(
    store: Store, config: SurveyBiasConfig
) -> tuple[sb.InteractionRows, PredictionResult, InteractionPredictions | None]:
    """Only the predictions for the period's interactions, fitted on every CSAT answer without the
    cross-validation or the mix comparisons (the command centre's overview shows the predicted CSAT;
    :func:`compute_survey_bias` says how far to trust it)."""
    rows = _period_rows(store, config)
    result, predictions = predict_satisfaction(
        rows, folds=config.folds, min_surveys=config.min_surveys, seed=config.seed, validate=False
    )
    return rows, result, predictions


def compute_survey_bias(store: Store, config: SurveyBiasConfig) -> SurveyBiasReport:
    """Respondents against everyone, the held-out predictor, and CSAT both ways."""
    rows = _period_rows(store, config)
    surveyed = rows.numbers["surveyed"] == 1
    flags = _episode_flags(store)
    reason_names: dict[Hashable, str] = {None: "(no reason)"}
    reason_names.update({k: v for k, v in om.reason_labels(store).items()})
    reasons = _reason_keys(rows)
    channels: list[Hashable] = list(rows.text["channel"])
    labelled = np.array([v is not None for v in rows.text["sentiment_label"]])
    sentiments: list[Hashable] = [v for v in rows.text["sentiment_label"] if v is not None]
    sentiment_order = [*SENTIMENT_LABELS, *sorted({str(v) for v in sentiments} - set(SENTIMENT_LABELS))]
    mixes = (
        compare_mix("reason", reasons, surveyed, _ordered(reasons), reason_names, config.alpha),
        compare_mix("channel", channels, surveyed, _ordered(channels), {}, config.alpha),
        compare_mix("sentiment", sentiments, surveyed[labelled], sentiment_order, {}, config.alpha),
    )
    measures = (
        compare_rate("resolution_rate", rows.numbers["resolved"], surveyed, config.alpha),
        compare_mean("customer_end_sentiment", rows.numbers["customer_end"], surveyed, config.alpha),
    )
    if not labelled.all():
        flags.append(f"{int((~labelled).sum()):,} interactions have no sentiment (not analysed): left out of its mix")
    result, predictions = predict_satisfaction(
        rows, folds=config.folds, min_surveys=config.min_surveys, seed=config.seed
    )
    if result.status != "ok":
        flags.append(f"no prediction: {result.message}")
    csat = rows.numbers["csat"]
    unsurveyed = sorted(
        {c for c in rows.text["channel"] if c is not None}
        - {c for c, s in zip(rows.text["channel"], surveyed, strict=True) if s}
    )
    if unsurveyed and predictions is not None:
        flags.append(f"no respondent on {', '.join(unsurveyed)}: predictions there are extrapolations")
    total = _both_ways("all", None, np.ones(len(rows), dtype=bool), csat, predictions)
    groups: list[BothWays] = []
    if config.by is not None:
        keys = _group_keys(rows, config.by)
        labels: dict[Hashable, str] = reason_names if config.by == "reason" else {None: "(none)"}
        for key in _ordered(keys):
            mask = np.array([k == key for k in keys])
            groups.append(_both_ways(labels.get(key, str(key)), key, mask, csat, predictions))
        bare = [g.group for g in groups if g.respondents == 0]
        if bare and predictions is not None and config.by != "channel":
            flags.append(f"predicted without a single respondent in the group (an extrapolation): {', '.join(bare)}")
    return SurveyBiasReport(
        config,
        len(rows),
        int(surveyed.sum()),
        mixes,
        measures,
        result,
        total,
        tuple(groups),
        tuple(flags),
        rows,
        predictions,
    )
