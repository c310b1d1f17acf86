"""The optional LLM judge against a real OpenAI-compatible HTTP server on 127.0.0.1 (a stand-in
that answers like a model would): the verdict, its evidence located in the transcript, errors named."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from signalroom.qa.engine import QaInput, Scoring
from signalroom.qa.llm_judge import LlmJudge
from signalroom.qa.phrases import TurnText
from signalroom.qa.scorecard import parse_scorecard

CARD = parse_scorecard(
    "id: judged\nname: Judged\nsections:\n  - name: Tone\n    criteria:\n"
    "      - id: ownership\n        name: Takes ownership\n        kind: llm\n"
    "        question: Does the agent take ownership of the problem?\n"
)
SEEN: list[dict[str, Any]] = []


class _Model(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SEEN.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        transcript = body["messages"][1]["content"]
        if "teapot" in transcript:
            self.send_response(418)
            self.end_headers()
            return
        if "I'll sort this out" in transcript:
            verdict = {"answer": "pass", "explanation": "The agent commits to fixing it.",
                       "quote": "I'll sort this out", "turn": 1}  # fmt: skip
        elif "gibberish" in transcript:
            verdict = {"answer": "maybe"}
        else:
            verdict = {"answer": "fail", "explanation": "The agent passes the problem on.", "quote": "", "turn": None}
        reply = {"choices": [{"message": {"role": "assistant", "content": json.dumps(verdict)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Model)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _answer(scoring: Scoring, *turns: tuple[str, str]) -> Any:
    item = QaInput(source="t", id="c", channel="chat", turns=[TurnText(s, t) for s, t in turns],
                   turn_seqs=list(range(len(turns))))  # fmt: skip
    [result] = scoring.score(item)
    return result.answers[0]


def test_off_without_an_endpoint() -> None:
    answer = _answer(Scoring([CARD]), ("customer", "My parcel is lost."), ("agent", "I'll sort this out."))
    assert answer.value == "na" and "the LLM judge is off" in answer.explanation


def test_the_verdict_and_its_quote_as_evidence(endpoint: str) -> None:
    scoring = Scoring([CARD], judge=LlmJudge(url=endpoint, model="qa-model", api_key="k"))
    answer = _answer(scoring, ("customer", "My parcel is lost."), ("agent", "Sorry! I'll sort this out today."))
    assert answer.value == "pass" and answer.explanation == "LLM judge: The agent commits to fixing it."
    [e] = answer.evidence
    assert (e.turn, e.speaker, e.text, e.start, e.end) == (1, "agent", "I'll sort this out", 7, 25)
    assert answer.confidence == 0.7
    request = SEEN[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k"
    assert request["body"]["model"] == "qa-model" and request["body"]["temperature"] == 0
    assert "[1] agent: Sorry! I'll sort this out today." in request["body"]["messages"][1]["content"]
    fail = _answer(scoring, ("customer", "My parcel is lost."), ("agent", "Call the courier."))
    assert fail.value == "fail" and fail.evidence == ()


def test_errors_are_named_not_hidden(endpoint: str) -> None:
    scoring = Scoring([CARD], judge=LlmJudge(url=endpoint))
    teapot = _answer(scoring, ("customer", "I am a teapot."))
    assert teapot.value == "na" and teapot.explanation == "not scored: the LLM endpoint answered HTTP 418"
    odd = _answer(scoring, ("customer", "gibberish"))
    assert odd.explanation == "not scored: the model answered 'maybe', not pass, fail or na"
    gone = _answer(Scoring([CARD], judge=LlmJudge(url="http://127.0.0.1:9/v1", timeout_s=2)), ("customer", "Hi"))
    assert gone.value == "na" and "cannot be reached" in gone.explanation
