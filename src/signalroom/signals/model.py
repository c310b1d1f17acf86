"""What every detector reports (docs/signals.md): a finding about one subject — a customer need, a
phrase, a newly forming cluster — on the days it was detected. The ranked list merges the findings
of every detector and driver analysis about the same phenomenon into one signal."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

DETECTORS = (
    "volume",  # a need rising in volume against its usual share of the day's contacts
    "new_cluster",  # contacts close to each other that the existing reasons do not explain
    "phrase",  # a word sequence newly frequent in what customers say
    "negative_sentiment",  # within a need: more contacts ending negative than usual
    "repeat_rate",  # … more coming back about the same reason
    "transfer_rate",  # … more transferred or escalated
    "driver",  # a driver of an outcome (docs/drivers.md)
    "advisor",  # advisors' flags
)


@dataclass(frozen=True, kw_only=True)
class Finding:
    detector: str
    subject: str  # what it is about, for people: the need's label, the phrase, the cluster's words
    need: int | None = None  # the need (group of related reasons) it is about: what merges findings
    reasons: tuple[int, ...] = ()
    phrase: str | None = None
    first_detected: date
    last_detected: date
    days_detected: int = 1
    p_value: float  # of the strongest day; the ranking's strength
    measure: dict[str, Any] = field(default_factory=dict)  # the detector's numbers on its strongest day
    series: list[dict[str, Any]] = field(default_factory=list)  # {"day": ISO date, ...values}
    evidence: list[str] = field(default_factory=list)  # example interactions, 'source/id'
    customers: int = 0  # people affected (distinct persons among the contacts behind it)
    support: int = 0  # contacts behind it on the days detected
    extra_contacts: float = 0.0  # contacts beyond what the baseline predicts, on the days detected
    extra_repeat_contacts: float = 0.0

    def __post_init__(self) -> None:
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; known: {', '.join(DETECTORS)}")
        if self.last_detected < self.first_detected:
            raise ValueError(f"{self.subject!r}: last detected {self.last_detected} before first {self.first_detected}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        out["first_detected"] = self.first_detected.isoformat()
        out["last_detected"] = self.last_detected.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{
            **data,
            "reasons": tuple(data.get("reasons", ())),
            "first_detected": date.fromisoformat(data["first_detected"]),
            "last_detected": date.fromisoformat(data["last_detected"]),
        })  # fmt: skip
