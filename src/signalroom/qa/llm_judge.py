"""The optional LLM judge (docs/qa.md#the-llm-judge): a criterion's question and the redacted
transcript put to any OpenAI-compatible chat-completions endpoint, which must answer in JSON with
pass, fail or not applicable, why, and the words that show it. Off unless an endpoint is given; never
needed by the tests or the demo. Written on the standard library's HTTP client: one POST per
criterion and interaction, nothing a client library would add here.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

ENV_URL = "SIGNALROOM_LLM_URL"  # e.g. http://127.0.0.1:8000/v1
ENV_KEY = "SIGNALROOM_LLM_KEY"
ENV_MODEL = "SIGNALROOM_LLM_MODEL"
DEFAULT_CONFIDENCE = 0.7  # a model's judgement, before calibration against human evaluators

SYSTEM = (
    "You are a contact-centre quality evaluator. Read the conversation and answer the question about it. "
    'Reply with JSON only: {"answer": "pass" | "fail" | "na", "explanation": "<one sentence>", '
    '"quote": "<the exact words from one turn that show it, or empty>", "turn": <that turn\'s number or null>}.'
)


class JudgeError(RuntimeError):
    pass


@dataclass(frozen=True)
class Verdict:
    answer: str  # pass | fail | na
    explanation: str
    quote: str
    turn: int | None


@dataclass(frozen=True, kw_only=True)
class LlmJudge:
    url: str  # the API base: {url}/chat/completions is called
    model: str = "default"
    api_key: str | None = None
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls) -> LlmJudge | None:
        url = os.environ.get(ENV_URL)
        if not url:
            return None
        return cls(url=url, model=os.environ.get(ENV_MODEL, "default"), api_key=os.environ.get(ENV_KEY))

    def ask(self, question: str, turns: list[tuple[str, str]], model: str | None = None) -> Verdict:
        """``turns``: (speaker, text) in order, already redacted. Raises :class:`JudgeError` with
        what went wrong (unreachable endpoint, HTTP error, an answer that is not the JSON asked for)."""
        transcript = "\n".join(f"[{i}] {speaker}: {text}" for i, (speaker, text) in enumerate(turns))
        body = {
            "model": model or self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Question: {question}\n\nConversation:\n{transcript}"},
            ],
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reply: Any = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise JudgeError(f"the LLM endpoint answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise JudgeError(f"the LLM endpoint {self.url} cannot be reached: {exc}") from None
        except json.JSONDecodeError:
            raise JudgeError("the LLM endpoint did not answer JSON") from None
        try:
            content = reply["choices"][0]["message"]["content"]
            verdict = json.loads(content.strip().removeprefix("```json").removesuffix("```"))
        except (KeyError, IndexError, TypeError, json.JSONDecodeError):
            raise JudgeError("the model's reply is not the JSON verdict asked for") from None
        answer = str(verdict.get("answer", "")).lower()
        if answer not in ("pass", "fail", "na"):
            raise JudgeError(f"the model answered {answer!r}, not pass, fail or na")
        turn = verdict.get("turn")
        return Verdict(
            answer,
            str(verdict.get("explanation") or ""),
            str(verdict.get("quote") or ""),
            int(turn) if isinstance(turn, int) and 0 <= turn < len(turns) else None,
        )
