"""Emerging-signal detection over the warehouse (docs/signals.md): every detector judged day by day,
the driver analyses, advisors' flags, merged into one ranked list, routed and stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from signalroom.actions.routing import RoutingRules, default_rules_text, parse_rules
from signalroom.signals.driver_findings import DriverFindingsConfig, driver_findings
from signalroom.signals.flag_signals import Attached, attach_flags, save_attachments
from signalroom.signals.flags import FlagConfig
from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs, SignalsError, needs_of
from signalroom.signals.rank import RankConfig, Signal, merge, rank
from signalroom.signals.rising import daily_totals, volume_findings
from signalroom.signals.volume import VolumeConfig
from signalroom.store import signals as signal_store
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store

__all__ = ["DETECTOR_GROUPS", "DetectConfig", "DetectionRun", "SignalsError", "detect", "find", "save"]


def _new_clusters(store: Store, needs: Needs, start: date, end: date, config: DetectConfig) -> list[Finding]:
    from signalroom.signals.clusters import ClusterConfig, detect_new_clusters

    clusters = ClusterConfig(baseline_days=config.baseline_days)
    return detect_new_clusters(store, needs, start=start, end=end, config=clusters)


def _phrases(store: Store, needs: Needs, start: date, end: date, config: DetectConfig) -> list[Finding]:
    from signalroom.signals.phrases import PhraseConfig, detect_phrases

    return detect_phrases(store, needs, start=start, end=end, config=PhraseConfig(baseline_days=config.baseline_days))


def _within(store: Store, needs: Needs, start: date, end: date, config: DetectConfig) -> list[Finding]:
    from signalroom.signals.within import WithinConfig, detect_within

    return detect_within(store, needs, start=start, end=end, config=WithinConfig(baseline_days=config.baseline_days))


def _volume(store: Store, needs: Needs, start: date, end: date, config: DetectConfig) -> list[Finding]:
    volume = VolumeConfig(baseline_days=config.baseline_days)
    return volume_findings(store, needs, start=start, end=end, config=volume)


def _drivers(store: Store, needs: Needs, start: date, end: date, config: DetectConfig) -> list[Finding]:
    return driver_findings(store, needs, end=end, config=config.drivers)


Detector = Callable[[Store, Needs, date, date, "DetectConfig"], list[Finding]]
# What `--detector` names, in the order they run: "within" is the rising negative endings, repeat
# rate and transfers inside a need; "drivers" the driver analyses.
DETECTOR_GROUPS: dict[str, Detector] = {
    "volume": _volume,
    "new_cluster": _new_clusters,
    "phrase": _phrases,
    "within": _within,
    "drivers": _drivers,
}


@dataclass(frozen=True, kw_only=True)
class DetectConfig:
    detectors: tuple[str, ...] = tuple(DETECTOR_GROUPS)
    baseline_days: int = 14  # of every day-by-day detector
    days: int = 7  # the ranked list holds what was detected on the last `days` days up to the day judged
    flag_days: int = 30  # advisors' flags raised in the last `flag_days` days up to the day judged count
    flags: FlagConfig = field(default_factory=FlagConfig)
    drivers: DriverFindingsConfig = field(default_factory=DriverFindingsConfig)
    rank: RankConfig = field(default_factory=RankConfig)

    def __post_init__(self) -> None:
        unknown = [d for d in self.detectors if d not in DETECTOR_GROUPS]
        if unknown:
            raise ValueError(f"unknown detector {', '.join(unknown)}; known: {', '.join(DETECTOR_GROUPS)}")
        if not self.detectors:
            raise ValueError("name at least one detector")
        if self.days < 1:
            raise ValueError(f"--days must be at least 1, got {self.days}")
        if self.flag_days < 1:
            raise ValueError(f"flag_days must be at least 1, got {self.flag_days}")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "detectors": list(self.detectors)}


@dataclass(frozen=True)
class DetectionRun:
    since: date
    as_of: date
    findings: list[Finding]
    signals: list[Signal]
    config: DetectConfig
    flags: list[Attached] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # detectors left out, and why

    def to_dict(self) -> dict[str, Any]:
        per = self.config.rank.cost_per_contact
        return {
            "from": self.since.isoformat(), "to": self.as_of.isoformat(),
            "signals": [s.to_dict(per) for s in self.signals],
            "findings": len(self.findings), "notes": self.notes, "config": self.config.to_dict(),
        }  # fmt: skip


def find(
    store: Store, needs: Needs, *, start: date, end: date, config: DetectConfig, notes: list[str] | None = None
) -> list[Finding]:
    """Every detector's findings on the days from ``start`` to ``end``. A detector the data cannot
    feed (no embeddings for the cluster detector, say) is left out with a note in ``notes``, so the
    others still make the list."""
    out: list[Finding] = []
    for name in config.detectors:
        try:
            out.extend(DETECTOR_GROUPS[name](store, needs, start, end, config))
        except SignalsError as exc:
            if notes is None:
                raise
            notes.append(f"{name}: {exc}")
    return out


def routing_rules(store: Store) -> RoutingRules:
    """The routing rules set with `signalroom routing set`, else the shipped defaults."""
    stored = signal_store.routing_yaml(store)
    if stored is None:
        return parse_rules(default_rules_text(), "shipped routing rules")
    version, text = stored
    return parse_rules(text, f"routing rules version {version}")


def detect(
    store: Store,
    *,
    as_of: date | None = None,
    since: date | None = None,
    config: DetectConfig | None = None,
    history: bool = True,
) -> DetectionRun:
    """The ranked list as of ``as_of`` (default: the last day with contacts): what the detectors
    found on the days from ``since`` (default: the last ``config.days`` days) to it, each day judged
    only on the days before it. With ``history``, signals already stored keep their id and earliest
    first-detected day (a backtest goes without: it must see only its own replay)."""
    config = config or DetectConfig()
    needs = needs_of(store)
    totals = daily_totals(store)
    if not totals:
        raise SignalsError("no inbound contacts to look at: ingest some and run `signalroom analyze`")
    end = as_of or max(totals)
    start = since or end - timedelta(days=config.days - 1)
    if start > end:
        raise SignalsError(f"the period starts {start} after it ends {end}")
    if end < min(totals) or start > max(totals):
        raise SignalsError(f"no contacts from {start} to {end}: the contacts run from {min(totals)} to {max(totals)}")
    notes: list[str] = []
    findings = find(store, needs, start=start, end=end, config=config, notes=notes)
    names = reason_labels(store)
    signals = merge(findings, needs, names)
    flag_from = min(start, end - timedelta(days=config.flag_days - 1))
    attached = attach_flags(store, needs, signals, first=flag_from, last=None if history else end, config=config.flags)
    stored = signal_store.first_detected_by_fingerprint(store) if history else {}
    for signal in signals:
        if signal.fingerprint in stored:
            signal.signal_id, signal.first_detected_before = stored[signal.fingerprint]
    ranked = rank(signals, routing_rules(store), names, config.rank)
    return DetectionRun(start, end, findings, ranked, config, attached, notes)


def save(store: Store, run: DetectionRun) -> None:
    """Store the run's ranked list (``store.signals.save_ranked``); the signals get their ids."""
    per = run.config.rank.cost_per_contact
    rows = [s.to_dict(per) for s in run.signals]
    for signal, (signal_id, _) in zip(
        run.signals,
        signal_store.save_ranked(store, rows, as_of=run.as_of, since=run.since, config=run.config.to_dict()),
        strict=True,
    ):
        signal.signal_id = signal_id
    kept = [a for a in run.flags if a.signal.signal_id is not None]  # a group below minimum support is not stored
    if kept:
        save_attachments(store, kept)
