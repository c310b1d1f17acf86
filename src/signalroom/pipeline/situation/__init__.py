"""The customer's situation record: what triggered the contact, what they want, where friction
started, how it ended and what they will likely need next, each with its evidence."""

from signalroom.pipeline.situation.extractor import SituationExtractor
from signalroom.pipeline.situation.model import (
    Ending,
    Evidence,
    FrictionStart,
    NextStep,
    Situation,
    Trigger,
    Want,
)

__all__ = ["Ending", "Evidence", "FrictionStart", "NextStep", "Situation", "SituationExtractor", "Trigger", "Want"]
