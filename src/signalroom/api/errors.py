"""One error format for every failure (docs/api.md#errors):

    {"error": {"status": 404, "code": "not_found", "message": "…", "fields": [...]}}

``fields`` lists, for a request that does not validate, each bad field's location and problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """A failure a route reports: its status, a message that names what is wrong, and optionally
    the bad fields."""

    def __init__(self, status: int, message: str, *, fields: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers


class LoginRequired(ApiError):
    """No valid session or token: the API answers 401, a page sends the browser to the login page."""

    def __init__(self, message: str = "log in, or send an API token as 'Authorization: Bearer …'") -> None:
        super().__init__(401, message, headers={"WWW-Authenticate": "Bearer"})


def error_body(status: int, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": _CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(status: int, message: str, *, fields: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    return JSONResponse(error_body(status, message, fields), status_code=status, headers=headers)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _field(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ())]
    return {"location": ".".join(location), "problem": error.get("msg", "invalid")}


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if isinstance(exc, LoginRequired) and _wants_page(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if _wants_page(request):
        from signalroom.web.render import error_page

        return error_page(request, exc.status, exc.message)
    return error_response(exc.status, exc.message, fields=exc.fields, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such path: {request.url.path}"
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    if _wants_page(request) and exc.status_code in (404, 405):
        from signalroom.web.render import error_page

        return error_page(request, exc.status_code, message)
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [_field(e) for e in exc.errors()]
    summary = "; ".join(f"{f['location']}: {f['problem']}" for f in fields[:5])
    if _wants_page(request):
        from signalroom.web.render import error_page

        return error_page(request, 422, f"the form or address is not valid: {summary}")
    return error_response(422, f"the request is not valid: {summary}", fields=fields)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
