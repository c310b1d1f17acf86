"""Driver analyses in the ranked list (docs/signals.md#the-ranked-list): what drives an outcome
(docs/drivers.md) over the recent weeks, as findings about the need the driving reasons belong to.
Only reasons and groups of related reasons take part — a queue or a channel path is an explanation
of a driver, not a phenomenon of its own — and only those beyond a minimum share of the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from signalroom.journeys.drivers import DriversConfig, DriversError, find_drivers
from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs
from signalroom.store import signals as signal_store
from signalroom.store.warehouse import Store


@dataclass(frozen=True, kw_only=True)
class DriverFindingsConfig:
    outcomes: tuple[str, ...] = ("repeat_contact",)
    days: int = 28  # the period analysed, ending on the day judged
    min_share_beyond: float = 0.02  # of the outcome, beyond baseline

    def __post_init__(self) -> None:
        if self.days < 7:
            raise ValueError(f"driver analyses need at least 7 days, got {self.days}")
        if not 0 <= self.min_share_beyond < 1:
            raise ValueError(f"the minimum share must be between 0 and 1, got {self.min_share_beyond}")


def driver_findings(
    store: Store, needs: Needs, *, end: date, config: DriverFindingsConfig | None = None
) -> list[Finding]:
    config = config or DriverFindingsConfig()
    out = []
    for outcome in config.outcomes:
        start = end - timedelta(days=config.days - 1)
        try:
            report = find_drivers(
                store, DriversConfig(outcome=outcome, families=("reason",), date_from=start, date_to=end)
            )
        except DriversError:
            continue  # an outcome the data cannot define (no surveys for low CSAT …) has no drivers
        for driver in report.drivers:
            if driver.family != "reason" or driver.share_beyond < config.min_share_beyond:
                continue
            reasons = tuple(sorted(int(r) for r in driver.value.split("+")))
            largest = needs.need(max(reasons, key=lambda r: len(needs.reasons(needs.need(r) or r))))
            extra = driver.share_beyond * report.outcomes
            days = [start + timedelta(days=i) for i in range(config.days)]
            _, people = signal_store.contact_people(store, list(reasons), days)
            out.append(
                Finding(
                    detector="driver", subject=f"{driver.label} drives {outcome.replace('_', ' ')}",
                    need=largest, reasons=reasons, first_detected=end, last_detected=end,
                    p_value=driver.q_value,
                    measure={"outcome": outcome, "text": driver.text(outcome, report.unit),
                             "rate": driver.rate, "baseline": driver.baseline, "share": driver.share,
                             "share_beyond": driver.share_beyond, "units": driver.units, "outcomes": driver.outcomes},
                    evidence=list(driver.examples), support=driver.outcomes, customers=people,
                    extra_repeat_contacts=round(extra, 1) if outcome == "repeat_contact" else 0.0,
                    extra_contacts=round(extra, 1) if outcome == "contact" else 0.0,
                )
            )  # fmt: skip
    return out
