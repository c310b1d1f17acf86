"""Real public conversations (../shared/data) mapped to the interchange format and ingested.

The data is read at test time, never copied into the project; the tests skip cleanly where the
folder is absent (a user's fresh clone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from signalroom.ingest.loader import Loader
from signalroom.store import Store
from support import SHARED_DATA, count, rows, write_jsonl

TWITTER = SHARED_DATA / "ibm-twitter-customer-care-cdp"


def _twitter_interactions() -> list[dict[str, Any]]:
    """Each conversation as a social interaction: the client's handle, the brand as the agent."""
    records = []
    for split in ("dev.json", "test.json"):
        for conversation in json.loads((TWITTER / split).read_text("utf-8")):
            header, content = conversation["dialogHeader"], conversation["dialogContent"]
            client = next(t.get("client") or t.get("client1") for t in content if "agent" not in t)
            turns = [
                {
                    "speaker": "agent" if "agent" in t else "customer",
                    "text": t["message"],
                    "at": t["datetime"],
                    "tweet_id": t["tweet_ID"],
                }
                for t in content
            ]
            records.append(
                {
                    "kind": "interaction",
                    "id": header["sessionID"],
                    "channel": "social",
                    "started_at": header["conversationDateTime"],
                    "customer": {"handle": "@" + client},
                    "agent": {"id": header["company"], "team": header["company"]},
                    "turns": turns,
                    "attributes": {"split": split, "resolving_doc": conversation["agentURL"]["doc_id"]},
                }
            )
    return records


@pytest.mark.skipif(not TWITTER.is_dir(), reason="../shared/data is not beside this checkout")
def test_real_customer_care_conversations_load_completely(store: Store, tmp_path: Path) -> None:
    records = _twitter_interactions()
    path = write_jsonl(tmp_path / "twitter.jsonl", records)
    [summary] = Loader(store).ingest([path], fmt="jsonl", source="twitter")
    assert summary.counts.quarantined == 0, summary.reasons
    assert summary.counts.inserted == len(records) == 1025
    assert count(store, "turns") == sum(len(r["turns"]) for r in records)
    # Real timestamps keep their order and offset; turn-level extras are kept per turn.
    [(first_turn_at, tweet)] = rows(
        store,
        "SELECT occurred_at, attributes->>'tweet_id' FROM turns WHERE interaction_id = ? AND seq = 0",
        [records[0]["id"]],
    )
    assert first_turn_at.isoformat().startswith(records[0]["turns"][0]["at"][:19])
    assert tweet == records[0]["turns"][0]["tweet_id"]
    assert rows(store, "SELECT count(DISTINCT agent_id) FROM interactions") == [(25,)]
    again = Loader(store).ingest([path], fmt="jsonl", source="twitter")[0]
    assert (again.counts.inserted, again.counts.unchanged) == (0, 1025)
