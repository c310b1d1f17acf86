"""One router per resource (docs/api.md); each route names its role rule with ``allow(...)``."""
