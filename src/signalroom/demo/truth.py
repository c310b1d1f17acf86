"""The truth sidecar: what really happened, so later analysis can be checked against it.

Written under ``<out>/.truth/`` (the loader skips hidden folders, so ``signalroom ingest <out>``
reads only the interchange files): ``truth.json`` (catalogue, agents, planted phenomena, survey
bias, counts), ``interactions.jsonl`` (one line per interaction: true reasons, sentiment,
resolution, satisfaction) and ``customers.jsonl`` (every identifier of every customer and
whether the profile links it).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import IO, Any

import orjson

from signalroom.demo.reasons import REASONS
from signalroom.demo.scenarios import CAMPAIGN_NAME, EMERGING_MARKERS, Phenomena
from signalroom.demo.world import Agent, Clock, Customer

TRUTH_DIR = ".truth"
TRUTH_VERSION = 1


def trajectory(start: float, end: float) -> str:
    if end - start > 0.25:
        return "improving"
    if start - end > 0.25:
        return "worsening"
    return "flat"


def band(satisfaction: float) -> str:
    return "1-2" if satisfaction < 2 else "2-3" if satisfaction < 3 else "3-4" if satisfaction < 4 else "4-5"


REPEAT_WINDOW_DAYS = 7


def repeat_contact_share(contacts: list[tuple[str, str, str]], reason: str) -> dict[str, Any]:
    """The truth of the drivers' repeat-contact figures for ``reason``, by the product's definitions
    (docs/drivers.md) applied to the true customers and reasons: a contact (a chain's first
    interaction) is repeated when the same customer's next contact starts within 7 days; contacts
    whose 7 days end after the last contact are left out. The reason's share of repeated contacts,
    and its share beyond the baseline: (repeated − contacts × the other contacts' rate) / repeated."""
    window = dt.timedelta(days=REPEAT_WINDOW_DAYS)
    by_customer: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for customer, started, why in contacts:
        by_customer[customer].append((dt.datetime.fromisoformat(started), why))
    end = max((t for seq in by_customer.values() for t, _ in seq), default=None)
    n = y = n_reason = y_reason = 0
    for seq in by_customer.values():
        seq.sort()
        for i, (t, why) in enumerate(seq):
            if end is None or t + window > end:
                continue
            repeated = i + 1 < len(seq) and seq[i + 1][0] <= t + window
            n += 1
            y += repeated
            if why == reason:
                n_reason += 1
                y_reason += repeated
    baseline = (y - y_reason) / (n - n_reason) if n > n_reason else 0.0
    return {
        "window_days": REPEAT_WINDOW_DAYS,
        "contacts": n,
        "repeated": y,
        "reason_contacts": n_reason,
        "reason_repeated": y_reason,
        "reason_rate": round(y_reason / n_reason, 4) if n_reason else 0.0,
        "baseline_rate": round(baseline, 4),
        "share_of_repeated": round(y_reason / y, 4) if y else 0.0,
        "share_beyond_baseline": round((y_reason - n_reason * baseline) / y, 4) if y else 0.0,
    }


class Truth:
    def __init__(self, out: Path, clock: Clock, ph: Phenomena) -> None:
        self.dir = out / TRUTH_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.ph = ph
        self._lines: IO[bytes] = (self.dir / "interactions.jsonl").open("wb")
        self.episodes: Counter[str] = Counter()
        self.repeats: Counter[str] = Counter()
        self.repeat_driver_ids: list[str] = []
        self.repeat_driver_customers: set[str] = set()
        self.daily: dict[int, Counter[str]] = defaultdict(Counter)
        self.voice_calls: Counter[str] = Counter()  # agent -> voice calls
        self.no_disclosure: Counter[str] = Counter()
        self.no_disclosure_ids: list[str] = []
        self.emerging_ids: list[str] = []
        self.campaign_ids: list[str] = []
        self.reset_contacts: dict[str, dict[str, Any]] = {}
        self.reset_attempts: Counter[str] = Counter()
        self.survey_offered: Counter[str] = Counter()
        self.survey_answered: Counter[str] = Counter()
        self.sat_all = 0.0
        self.sat_answered = 0.0
        self.handoffs: list[dict[str, str]] = []
        self.transfers: list[dict[str, str]] = []
        self.identifiers: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        # (customer, start, primary reason) of every contact: the first interaction of a chain.
        self.contacts: list[tuple[str, str, str]] = []

    # -- collecting ------------------------------------------------------------------------------

    def episode(self, reason: str, day: int, repeat_index: int) -> None:
        self.daily[day][reason] += 1
        self.episodes[reason] += 1
        if repeat_index:
            self.repeats[reason] += 1

    def interaction(self, line: dict[str, Any]) -> None:
        self._lines.write(orjson.dumps(line) + b"\n")
        self.counts["interactions"] += 1
        if line["parent_id"] is None:
            self.contacts.append((line["customer_id"], line["started_at"], line["primary_reason"]))
        self.identifiers[f"{line['channel']}:{line['identifier_used']}"] += 1
        sat = line.get("satisfaction")
        if sat is not None:
            self.survey_offered[band(sat)] += 1
            self.sat_all += sat
            if line["survey"]["responded"]:
                self.survey_answered[band(sat)] += 1
                self.sat_answered += sat
        if line["channel"] == "voice" and line["agent_id"]:
            self.voice_calls[line["agent_id"]] += 1
            if line["disclosure_given"] is False:
                self.no_disclosure[line["agent_id"]] += 1
                self.no_disclosure_ids.append(line["interaction_id"])
        tags = line["tags"]
        if "emerging_issue" in tags:
            self.emerging_ids.append(line["interaction_id"])
        if "campaign" in tags:
            self.campaign_ids.append(line["interaction_id"])
        if "self_service_failure" in tags:
            entry = self.reset_contacts.setdefault(
                line["episode_id"],
                {
                    "episode_id": line["episode_id"],
                    "customer_id": line["customer_id"],
                    "event_ids": line["trigger_events"],
                    "interaction_ids": [],
                },
            )
            entry["interaction_ids"].append(line["interaction_id"])
        if "repeat_driver" in tags:
            self.repeat_driver_ids.append(line["interaction_id"])
            self.repeat_driver_customers.add(line["customer_id"])

    def close_lines(self) -> None:
        self._lines.close()

    # -- writing ---------------------------------------------------------------------------------

    def write(
        self,
        *,
        seed: int,
        customers: list[Customer],
        agents: list[Agent],
        files: dict[str, int],
    ) -> Path:
        clock, ph = self.clock, self.ph
        with (self.dir / "customers.jsonl").open("wb") as handle:
            for c in customers:
                handle.write(
                    orjson.dumps(
                        {
                            "customer_id": c.id,
                            "name": c.name,
                            "products": c.products,
                            "segment": c.segment,
                            "phone": c.phone,
                            "alt_phone": c.alt_phone,
                            "email": c.email,
                            "alt_email": c.alt_email,
                            "handle": c.handle,
                            "accounts": c.accounts,
                            "linked_in_profile": c.linked,
                            "profile_phone_format": c.profile_phone_format,
                        }
                    )
                    + b"\n"
                )
        date = clock.date
        skippers = [a for a in agents if a.skip_disclosure > 0.3]
        skip_ids = {a.id for a in skippers}

        def rate(ids: set[str], inside: bool) -> dict[str, float | int]:
            calls = sum(n for a, n in self.voice_calls.items() if (a in ids) == inside)
            missing = sum(n for a, n in self.no_disclosure.items() if (a in ids) == inside)
            return {
                "voice_calls": calls,
                "without_disclosure": missing,
                "rate": round(missing / calls, 4) if calls else 0.0,
            }

        def daily(reason: str) -> dict[str, int]:
            return {date(d).isoformat(): self.daily[d][reason] for d in range(clock.days)}

        rates = {
            r.id: round(self.repeats[r.id] / self.episodes[r.id], 4) if self.episodes[r.id] else 0.0 for r in REASONS
        }
        first, last = ph.reset_window
        answered = sum(self.survey_answered.values())
        offered = sum(self.survey_offered.values())
        doc = {
            "format": "signalroom-demo-truth",
            "version": TRUTH_VERSION,
            "seed": seed,
            "company": "Harbourline (a fictional UK bank and mobile/broadband provider)",
            "timezone": "Europe/London (offsets +00:00 in winter, +01:00 in summer time)",
            "period": {
                "start": date(0).isoformat(),
                "end": date(clock.days - 1).isoformat(),
                "days": clock.days,
            },
            "files": files,
            "counts": dict(sorted(self.counts.items())),
            "reasons": [r.to_dict() for r in REASONS],
            "teams": sorted({a.team for a in agents}),
            "agents": [a.to_dict() for a in agents],
            "phenomena": {
                "repeat_driver": {
                    "reason_id": ph.repeat_reason,
                    "description": "Customers chasing refunds come back within a few days, unresolved.",
                    "repeat_probability_when_unresolved": ph.repeat_p,
                    "repeat_within_days": list(ph.repeat_days),
                    "other_reasons_repeat_probability": ph.other_repeat_p,
                    "repeat_contacts_per_contact_by_reason": rates,
                    "repeat_interaction_ids": self.repeat_driver_ids,
                    "repeat_contact_share": repeat_contact_share(self.contacts, ph.repeat_reason),
                    "customer_ids": sorted(self.repeat_driver_customers),
                },
                "disclosure_skipping": {
                    "description": "Agents who often leave out the call-recording disclosure on voice calls.",
                    "agent_ids": sorted(skip_ids),
                    "skip_rates": {a.id: a.skip_disclosure for a in skippers},
                    "other_agents_skip_rate": 0.02,
                    "skippers": rate(skip_ids, True),
                    "others": rate(skip_ids, False),
                    "interaction_ids_without_disclosure": self.no_disclosure_ids,
                },
                "emerging_issue": {
                    "description": f"App version {ph.app_version} breaks biometric login; customers say "
                    "'since the update'.",
                    "reason_id": ph.emerging_reason,
                    "variant": "app_update",
                    "start_date": date(ph.emerging_day).isoformat(),
                    "app_version": ph.app_version,
                    "phrases": list(EMERGING_MARKERS),
                    "volume_boost": ph.emerging_boost,
                    "daily_volume": daily(ph.emerging_reason),
                    "interaction_ids": self.emerging_ids,
                },
                "campaign": {
                    "name": CAMPAIGN_NAME,
                    "reason_id": ph.campaign_reason,
                    "start_date": date(ph.campaign_start).isoformat(),
                    "end_date": date(ph.campaign_start + ph.campaign_days - 1).isoformat(),
                    "multiplier": ph.campaign_multiplier,
                    "daily_volume": daily(ph.campaign_reason),
                    "interaction_ids": self.campaign_ids,
                },
                "self_service_failure": {
                    "description": "The web password reset fails; customers who cannot reset call or chat.",
                    "reason_id": "password_reset",
                    "start_date": date(first).isoformat(),
                    "end_date": date(last - 1).isoformat(),
                    "failure_rate_in_window": ph.reset_fail_in_window,
                    "failure_rate_normally": ph.reset_fail_normally,
                    "contact_probability_after_failure": ph.reset_contact_p,
                    "attempts": dict(sorted(self.reset_attempts.items())),
                    "daily_volume": daily("password_reset"),
                    "contacts": list(self.reset_contacts.values()),
                },
            },
            "surveys": {
                "description": "Surveys are answered by a biased minority: very unhappy and very happy "
                "customers answer far more often. True satisfaction (1-5) of every surveyed "
                "interaction is in interactions.jsonl.",
                "offered": offered,
                "answered": answered,
                "response_rate": round(answered / offered, 4) if offered else 0.0,
                "response_rate_by_true_satisfaction": {
                    b: round(self.survey_answered[b] / self.survey_offered[b], 4) if self.survey_offered[b] else 0.0
                    for b in ("1-2", "2-3", "3-4", "4-5")
                },
                "mean_true_satisfaction_all": round(self.sat_all / offered, 4) if offered else None,
                "mean_true_satisfaction_answered": round(self.sat_answered / answered, 4) if answered else None,
            },
            "bot_handoffs": self.handoffs,
            "transfers": self.transfers,
            "identifiers_used": dict(sorted(self.identifiers.items())),
            "daily_volume_by_reason": {
                date(d).isoformat(): dict(sorted(self.daily[d].items())) for d in range(clock.days)
            },
        }
        path = self.dir / "truth.json"
        path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return path
