"""signalroom: every customer interaction on every channel, turned into signals people act on."""

__version__ = "0.1.0"
