"""The living demo: a simulated month of a bank/telco contact centre, with its ground truth.

``signalroom demo generate`` writes interchange-format JSON Lines files and a truth sidecar
(see docs/demo.md). Use :func:`generate` from Python.
"""

from signalroom.demo.config import DEFAULT_START, DemoConfig, DemoSummary
from signalroom.demo.generator import generate

__all__ = ["DEFAULT_START", "DemoConfig", "DemoSummary", "generate"]
