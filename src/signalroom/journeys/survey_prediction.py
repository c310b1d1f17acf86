"""Predicting CSAT for every interaction from the surveyed ones (docs/surveys.md#prediction).

Two models learn from the interactions with a CSAT answer, on features every interaction has:
a logistic regression for P(satisfied) (CSAT 4–5) and a ridge regression for the score (1–5).
Their accuracy is measured out of fold (stratified k-fold: each answer is predicted by models that
never saw it), next to a baseline that always predicts the training folds' majority or mean, so a
reader sees whether the features carry anything. The final models, fitted on every answer, then
predict every interaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from signalroom.store.survey_bias import InteractionRows

Floats = npt.NDArray[np.float64]

CATEGORICAL = ("channel", "reason", "sentiment_label", "sentiment_trajectory")
FLAGS = ("resolved", "transferred", "escalated", "repeat_contact")
NUMBERS = ("customer_end", "negative_moments", "duration_s", "hold_s")
# Handling times are heavy-tailed (an email thread lasts days): their logarithm keeps a few long
# ones from dominating a linear model.
LOGGED = ("duration_s", "hold_s")
FEATURES = CATEGORICAL + FLAGS + NUMBERS
SATISFIED_FROM = 4  # CSAT 4–5 is "satisfied", as the csat metric counts it


@dataclass(frozen=True)
class HeldOut:
    """Out-of-fold scores of the models and of the baseline."""

    accuracy: float
    balanced_accuracy: float
    auc: float
    mae: float
    baseline_accuracy: float
    baseline_balanced_accuracy: float
    baseline_auc: float
    baseline_mae: float

    @property
    def beats_baseline(self) -> bool:
        return (
            self.balanced_accuracy > self.baseline_balanced_accuracy
            and self.auc > self.baseline_auc
            and self.mae < self.baseline_mae
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "balanced_accuracy": round(self.balanced_accuracy, 4),
            "auc": round(self.auc, 4),
            "mae": round(self.mae, 4),
            "baseline_accuracy": round(self.baseline_accuracy, 4),
            "baseline_balanced_accuracy": round(self.baseline_balanced_accuracy, 4),
            "baseline_auc": round(self.baseline_auc, 4),
            "baseline_mae": round(self.baseline_mae, 4),
            "beats_baseline": self.beats_baseline,
        }


@dataclass(frozen=True)
class PredictionResult:
    status: str  # ok | too_few_surveys | single_class
    message: str
    respondents: int  # interactions with a CSAT answer
    satisfied: int
    folds: int
    held_out: HeldOut | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "respondents": self.respondents,
            "satisfied": self.satisfied,
            "folds": self.folds,
            "features": list(FEATURES),
            "models": {
                "satisfied": "logistic regression, P(CSAT 4–5)",
                "score": "ridge regression, CSAT 1–5 (clipped)",
            },
            "held_out": self.held_out.to_dict() if self.held_out else None,
        }


@dataclass(frozen=True)
class InteractionPredictions:
    """Per interaction, aligned with the rows it was made from."""

    p_satisfied: Floats
    score: Floats


def _values(rows: InteractionRows, name: str) -> list[str | None]:
    if name == "reason":
        return [None if np.isnan(v) else str(int(v)) for v in rows.numbers[name]]
    return list(rows.text[name])


def feature_matrix(rows: InteractionRows) -> Floats:
    """One-hot categories (from every interaction: no label is read, so nothing leaks into the
    folds), flags as 0/1 and numbers; NaN where unknown (imputed inside the model, per fold)."""
    columns: list[Floats] = []
    for name in CATEGORICAL:
        values = _values(rows, name)
        as_array = np.array(values, dtype=object)
        for category in sorted({v for v in values if v is not None}):
            columns.append((as_array == category).astype(np.float64))
    for name in FLAGS + NUMBERS:
        x = rows.numbers[name].copy()
        if name in LOGGED:
            x = np.log1p(np.clip(x, 0.0, None))
        columns.append(x)
    return np.column_stack(columns) if columns else np.zeros((len(rows), 0))


def _classifier() -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=1.0, max_iter=5000),
    )


def _regressor() -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        Ridge(alpha=1.0),
    )


def _held_out(x: Floats, csat: Floats, satisfied: npt.NDArray[np.int_], folds: int, seed: int) -> HeldOut:
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, satisfied))
    p = cross_val_predict(_classifier(), x, satisfied, cv=splits, method="predict_proba")[:, 1]
    p0 = cross_val_predict(DummyClassifier(strategy="prior"), x, satisfied, cv=splits, method="predict_proba")[:, 1]
    score = np.clip(cross_val_predict(_regressor(), x, csat, cv=splits), 1.0, 5.0)
    score0 = cross_val_predict(DummyRegressor(strategy="mean"), x, csat, cv=splits)
    yhat, yhat0 = (p >= 0.5).astype(int), (p0 >= 0.5).astype(int)
    return HeldOut(
        accuracy=float(np.mean(yhat == satisfied)),
        balanced_accuracy=float(balanced_accuracy_score(satisfied, yhat)),
        auc=float(roc_auc_score(satisfied, p)),
        mae=float(np.mean(np.abs(score - csat))),
        baseline_accuracy=float(np.mean(yhat0 == satisfied)),
        baseline_balanced_accuracy=float(balanced_accuracy_score(satisfied, yhat0)),
        baseline_auc=float(roc_auc_score(satisfied, p0)),
        baseline_mae=float(np.mean(np.abs(score0 - csat))),
    )


def predict_satisfaction(
    rows: InteractionRows, *, folds: int, min_surveys: int, seed: int, validate: bool = True
) -> tuple[PredictionResult, InteractionPredictions | None]:
    """Held-out accuracy and a prediction for every row, or a message saying why there is none.
    ``validate=False`` skips the cross-validation (``held_out`` is None): for a surface that only
    shows the predictions, where the report that measures their accuracy is a command away."""
    csat_all = rows.numbers["csat"]
    answered = ~np.isnan(csat_all) & (csat_all >= 1) & (csat_all <= 5)
    csat = csat_all[answered]
    satisfied = (csat >= SATISFIED_FROM).astype(int)
    n, happy = int(answered.sum()), int(satisfied.sum())
    minority = min(happy, n - happy)
    if n < min_surveys:
        message = f"only {n} interactions have a CSAT answer: at least {min_surveys} are needed to learn from"
        return PredictionResult("too_few_surveys", message, n, happy, folds, None), None
    if minority == 0:
        which = "satisfied (4–5)" if happy else "not satisfied (1–3)"
        message = f"all {n} CSAT answers are {which}: there is nothing to tell apart"
        return PredictionResult("single_class", message, n, happy, folds, None), None
    if minority < folds:
        message = (
            f"only {minority} answers are {'not ' if happy > n - happy else ''}satisfied: "
            f"{folds}-fold validation needs at least {folds} of each"
        )
        return PredictionResult("too_few_surveys", message, n, happy, folds, None), None
    x = feature_matrix(rows)
    held_out = _held_out(x[answered], csat, satisfied, folds, seed) if validate else None
    p_all = _classifier().fit(x[answered], satisfied).predict_proba(x)[:, 1]
    score_all = np.clip(_regressor().fit(x[answered], csat).predict(x), 1.0, 5.0)
    message = (
        f"learned from {n} CSAT answers; accuracy measured out of fold ({folds}-fold)"
        if validate
        else f"learned from {n} CSAT answers; accuracy not measured here (`signalroom surveys bias` measures it)"
    )
    result = PredictionResult("ok", message, n, happy, folds, held_out)
    return result, InteractionPredictions(p_all.astype(np.float64), score_all.astype(np.float64))
