"""One router per page (docs/web.md); each route names its role rule with ``allow(...)``."""
