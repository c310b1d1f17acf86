"""`signalroom serve --create-admin`, as `make demo` ends: a real server process on 127.0.0.1 that
prints its URL and the admin's password once, and that password logs in."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from live_server import free_port

pytestmark = pytest.mark.slow


def _start(db: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "signalroom.cli", "serve", "--db", str(db), "--port", str(port), "--create-admin"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _read_until_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    printed = ""
    deadline = time.monotonic() + 60
    while "http://" not in printed:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError(f"serve stopped: {printed}")
        printed += line
        assert time.monotonic() < deadline, printed
    return printed


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url + "login", timeout=2)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_serve_prints_url_and_admin_password_once_and_it_logs_in(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"  # a new warehouse: no users yet
    port = free_port()
    process = _start(db, port)
    try:
        printed = _read_until_url(process)
        url = re.search(r"http://127\.0\.0\.1:(\d+)/", printed)
        assert url is not None and int(url.group(1)) == port
        password = re.search(r"Added user admin with password (\S+) \(shown only now\)", printed)
        assert password is not None, printed
        base = url.group(0)
        _wait_up(base)
        with httpx.Client(base_url=base) as client:
            response = client.post("/login", data={"username": "admin", "password": password.group(1)})
            assert response.status_code == 303
            assert client.get("/api/v1/auth/me").json()["role"] == "admin"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    # A second start keeps the admin and does not print a password again.
    process = _start(db, port)
    try:
        printed = _read_until_url(process)
        assert "An admin exists already" in printed and "password" not in printed.split("An admin exists")[0]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
