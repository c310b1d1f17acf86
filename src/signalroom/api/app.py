"""The app `signalroom serve` runs: the REST API under /api/v1 and the server-rendered pages, over
one embedded store (docs/serve.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

from signalroom import __version__
from signalroom.api import cache, errors
from signalroom.api.limits import BodyLimit
from signalroom.api.state import AppState, ServeSettings
from signalroom.api.warm import WarmUp
from signalroom.assist.hub import AssistHub
from signalroom.auth.ratelimit import LoginLimiter
from signalroom.store.warehouse import Store

API_PREFIX = "/api/v1"
# One router per resource; each module has `router`. Listed here so the route table is explicit.
API_ROUTERS = (
    "auth",
    "users",
    "audit",
    "metrics",
    "drivers",
    "topics",
    "signals",
    "actions",
    "routing",
    "webhooks",
    "knowledge",
    "interactions",
    "customers",
    "ingest",
    "qa",
    "agents",
    "assist",
)
PAGE_ROUTERS = (
    "login",
    "overview",
    "drivers",
    "board",
    "customers",
    "interactions",
    "qa",
    "agents",
    "settings",
    "audit",
    "live",
)
UPLOAD_PATHS = (f"{API_PREFIX}/ingest",)


@dataclass(frozen=True)
class RouteEntry:
    method: str
    path: str  # as served, with /api/v1 for the API
    route: APIRoute

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX + "/")


def route_table() -> list[RouteEntry]:
    """Every route the app serves, method by method, from the routers it includes: what the
    route-table test and docs/api.md are made from."""
    entries: list[RouteEntry] = []
    for prefix, package, names in (("" + API_PREFIX, "signalroom.api.routers", API_ROUTERS),
                                   ("", "signalroom.web.pages", PAGE_ROUTERS)):  # fmt: skip
        for name in names:
            for route in import_module(f"{package}.{name}").router.routes:
                if isinstance(route, APIRoute):
                    methods = sorted((route.methods or set()) - {"HEAD"})
                    entries.extend(RouteEntry(m, prefix + route.path, route) for m in methods)
    return entries


def _operation_id(route: APIRoute) -> str:
    """Stable operation ids: the route function's name (unique across the app, checked by a test)."""
    return route.name


def create_app(settings: ServeSettings | None = None, *, store: Store | None = None) -> FastAPI:
    """The app over ``settings.db`` (opened for writing and migrated), or over an open ``store``."""
    settings = settings or ServeSettings()
    owned = store is None
    store = store or Store.open(settings.db)
    state = AppState(
        settings=settings,
        store=store,
        limiter=LoginLimiter(max_failures=settings.login_max_failures, window_s=settings.login_window_s),
    )

    def after_assist_write() -> None:
        cache.clear()
        if state.warm_up is not None:
            state.warm_up.ask()

    state.assist = AssistHub(
        state.request_store, state.write_lock, after_write=after_assist_write, analyse=settings.assist_analyse
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            state.warm_up = WarmUp(state.request_store)
            state.warm_up.start()
            assert state.assist is not None
            threading.Thread(target=state.assist.assistant, name="assist-learn", daemon=True).start()
        yield
        if state.assist is not None:
            state.assist.close()
        if state.warm_up is not None:
            state.warm_up.stop()
            state.warm_up = None
        if owned:
            state.store.close()

    app = FastAPI(
        title="signalroom",
        version=__version__,
        description="The command centre's REST API: every route, its role rule and its schemas (docs/api.md).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.signalroom = state
    errors.install(app)
    for name in API_ROUTERS:
        module = import_module(f"signalroom.api.routers.{name}")
        app.include_router(module.router, prefix=API_PREFIX)
    from signalroom.web.render import mount_static

    mount_static(app)
    for name in PAGE_ROUTERS:
        module = import_module(f"signalroom.web.pages.{name}")
        app.include_router(module.router)

    @app.middleware("http")
    async def server_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.upload_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    return app
