"""Weights files are checked by SHA-256 before use; a hash is computed once per file version.

A verification is remembered (in memory and in `<cache>/weights-verified.json`) against the file's
path, size, inode, mtime and ctime, so later starts skip re-reading 90 MB. Any change to the file
(a write, a replacement, a touch) changes one of those and makes it hash again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from signalroom.pipeline.embed.base import WeightsMismatchError, cache_root

RECORD_FILE = "weights-verified.json"
_memo: dict[str, tuple[tuple[int, ...], str]] = {}
_memo_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, ...]:
    st = path.stat()
    return (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (always reads it: no cache)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _read_records(record: Path) -> dict[str, Any]:
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_records(record: Path, records: dict[str, Any]) -> None:
    """Atomic replace; a cache folder we cannot write to only costs a re-hash next time."""
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".weights-", dir=record.parent)
        with os.fdopen(fd, "w") as handle:
            json.dump(records, handle, indent=1, sort_keys=True)
        os.replace(tmp, record)
    except OSError:
        pass


def cached_sha256(path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 of a file, hashing it only when it changed since the last time it was hashed."""
    file = Path(path).resolve()
    key, stamp = str(file), _stamp(file)
    with _memo_lock:
        hit = _memo.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    record = cache_root(cache_dir) / RECORD_FILE
    entry = _read_records(record).get(key)
    if isinstance(entry, dict) and tuple(entry.get("stamp", ())) == stamp and isinstance(entry.get("sha256"), str):
        digest: str = entry["sha256"]
    else:
        digest = sha256_file(file)
        records = _read_records(record)  # re-read: another process may have added entries meanwhile
        records[key] = {"stamp": list(stamp), "sha256": digest}
        _write_records(record, records)
    with _memo_lock:
        _memo[key] = (stamp, digest)
    return digest


def verify_weights(
    path: str | os.PathLike[str],
    expected_sha256: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    hint: str = "",
) -> str:
    """Return the file's SHA-256 if it is `expected_sha256`; else raise WeightsMismatchError."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"weights file {file} does not exist")
    found = cached_sha256(file, cache_dir=cache_dir)
    if found != expected_sha256.lower():
        raise WeightsMismatchError(file, expected_sha256.lower(), found, hint)
    return found


def forget_verifications() -> None:
    """Drop the in-memory verifications (tests; the on-disk record still applies)."""
    with _memo_lock:
        _memo.clear()
