"""/api/v1/qa: scorecards, answers, disputes, human evaluations, calibration and compliance risk —
what `signalroom qa` and `signalroom scorecard` do (docs/qa.md). Answers and disputes are scoped:
a supervisor sees their teams' interactions, an advisor their own."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from signalroom.api.deps import CurrentUser, FiltersDep, PageDep, StoreDep, allow, page, page_of
from signalroom.api.errors import ApiError
from signalroom.api.services import qa as service
from signalroom.auth.roles import COACHING, DISPUTE, QA_MANAGE, QA_READ, READ_AGGREGATES, READ_INTERACTIONS
from signalroom.store.qa_lists import AnswerQuery

router = APIRouter(prefix="/qa", tags=["qa"])

DISPUTE_READ = service.DISPUTE_READ

ScorecardId = Annotated[str, Path(description="The scorecard's id.")]
DisputeId = Annotated[int, Path(description="The dispute's number.")]
Value = Literal["pass", "fail", "na"]


class ScorecardUpdate(BaseModel):
    yaml: str = Field(min_length=1, description="The scorecard as YAML.")


class ScoreRunCreate(BaseModel):
    full: bool = Field(default=False, description="Rescore every interaction, not only what needs it.")


class DisputeCreate(BaseModel):
    interaction_id: str = Field(min_length=1, max_length=200)
    criterion: str = Field(min_length=1, max_length=200, description="The criterion's id.")
    comment: str = Field(min_length=1, max_length=4000, description="Why the answer is wrong.")
    scorecard: str | None = Field(default=None, description="The scorecard, when the criterion is in several.")
    source: str | None = Field(default=None, description="The interaction's source, when the id is in several.")


class DisputeReviewCreate(BaseModel):
    decision: Literal["accept", "reject"]
    value: Value | None = Field(default=None, description="The corrected answer (default: the opposite).")
    comment: str | None = Field(default=None, max_length=4000)


class EvaluationRow(BaseModel):
    evaluator: str
    interaction: str
    criterion: str
    answer: str = Field(description="pass, fail or na (or yes/no, 1/0, true/false).")
    comment: str | None = None
    scorecard: str | None = None
    source: str | None = None
    evaluated_at: str | None = Field(default=None, description="ISO 8601.")


class EvaluationsCreate(BaseModel):
    evaluations: list[EvaluationRow] = Field(min_length=1, max_length=20_000)


class CalibrationPickCreate(BaseModel):
    scorecard: str | None = None
    criterion: str | None = None
    size: int = Field(default=10, ge=1, le=200)


class CalibrationRecordCreate(BaseModel):
    interaction_id: str = Field(min_length=1)
    criterion: str = Field(min_length=1)
    answer: str = Field(description="pass, fail or na (or yes/no, 1/0, true/false).")
    note: str | None = Field(default=None, max_length=4000)
    scorecard: str | None = None
    source: str | None = None


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A body model's JSON schema with its nested models written in place: the models of a body
    read by hand are not among the document's components."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[str(node["$ref"]).rsplit("/", 1)[-1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    result: dict[str, Any] = resolve(schema)
    return result


_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}, "example": "id: my-card\nname: My card\nsections: []"},
            "application/json": {"schema": _inline_schema(ScorecardUpdate)},
        },
    }
}
_EVALUATIONS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline_schema(EvaluationsCreate)},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}


def _invalid(exc: ValidationError, root: str = "body") -> ApiError:
    fields = [{"location": ".".join([root, *(str(p) for p in e["loc"])]), "problem": e["msg"]} for e in exc.errors()]
    summary = "; ".join(f"{f['location']}: {f['problem']}" for f in fields[:5])
    return ApiError(422, f"the request is not valid: {summary}", fields=fields)


async def _yaml_text(request: Request) -> str:
    """A YAML body as sent, or the ``yaml`` field of a JSON one."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            return ScorecardUpdate.model_validate_json(raw).yaml
        except ValidationError as exc:
            raise _invalid(exc) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "the scorecard is not UTF-8 text") from None


# ---------------------------------------------------------------- scorecards


@router.get("/scorecards", operation_id="listQaScorecards", dependencies=[allow(COACHING)])
def list_qa_scorecards(store: StoreDep, params: PageDep) -> dict[str, Any]:
    """The scorecards in use, each with its criteria: what every interaction is measured on."""
    return page_of(service.scorecards(store), params)


@router.get("/scorecards/{scorecard_id}", operation_id="getQaScorecard", dependencies=[allow(COACHING)])
def get_qa_scorecard(store: StoreDep, scorecard_id: ScorecardId) -> dict[str, Any]:
    """One scorecard in use: its parsed definition, and the same as YAML (every default written out)."""
    return service.scorecard(store, scorecard_id)


@router.post("/scorecards/lint", operation_id="lintQaScorecard", dependencies=[allow(QA_READ)],
             openapi_extra=_YAML_BODY)  # fmt: skip
async def lint_qa_scorecard(request: Request) -> dict[str, Any]:
    """Checks a scorecard's YAML (as `signalroom scorecard lint`): every problem with its line and
    field. Nothing is changed."""
    problems = service.lint_scorecard(await _yaml_text(request))
    return {"valid": not problems, "problems": problems}


@router.put("/scorecards/{scorecard_id}", operation_id="setQaScorecard", dependencies=[allow(QA_MANAGE)],
            openapi_extra=_YAML_BODY)  # fmt: skip
async def set_qa_scorecard(
    request: Request,
    store: StoreDep,
    scorecard_id: ScorecardId,
    rescore: Annotated[bool, Query(description="Rescore what the change affects now.")] = True,
) -> dict[str, Any]:
    """Uses this scorecard from now on (as `qa score --scorecard FILE`): a changed one rescores all
    of history. A scorecard that does not validate is refused with its problems, line by line."""
    text = await _yaml_text(request)
    return await run_in_threadpool(service.set_scorecard, store, scorecard_id, text, rescore=rescore)


@router.post("/score", operation_id="scoreQa", dependencies=[allow(QA_MANAGE)])
def score_qa(store: StoreDep, body: Annotated[ScoreRunCreate | None, Body()] = None) -> dict[str, Any]:
    """Scores every analysed interaction not scored yet (all of them with ``full``), as `qa score`."""
    return service.run_score(store, full=bool(body and body.full))


# ---------------------------------------------------------------- answers


@router.get("/answers", operation_id="listQaAnswers", dependencies=[allow(READ_INTERACTIONS)])
def list_qa_answers(
    store: StoreDep,
    user: CurrentUser,
    params: PageDep,
    filters: FiltersDep,
    scorecard: Annotated[str | None, Query(description="Only this scorecard.")] = None,
    criterion: Annotated[str | None, Query(description="Only this criterion.")] = None,
    value: Annotated[Value | None, Query(description="Only this answer.")] = None,
    interaction: Annotated[str | None, Query(description="Only this interaction (its id).")] = None,
    source: Annotated[str | None, Query(description="Only interactions of this source.")] = None,
) -> dict[str, Any]:
    """Automated answers with their explanation, confidence and evidence, newest interactions first:
    of the interactions the user may see."""
    query = AnswerQuery(**filters.common(), scorecard_id=scorecard, criterion_id=criterion, value=value,
                        source=source, interaction_id=interaction)  # fmt: skip
    rows, total = service.answers(store, user, query, limit=params.limit, offset=params.offset)
    return page(rows, total, params)


# ---------------------------------------------------------------- disputes


@router.post("/disputes", status_code=201, operation_id="raiseQaDispute", dependencies=[allow(DISPUTE)])
def raise_qa_dispute(store: StoreDep, user: CurrentUser, body: Annotated[DisputeCreate, Body()]) -> dict[str, Any]:
    """Disputes an automated answer with a comment (an advisor on their own interactions, a
    supervisor on their teams'); a QA reviewer accepts or rejects it."""
    return service.raise_dispute(store, user, interaction_id=body.interaction_id, criterion=body.criterion,
                                 comment=body.comment, scorecard_id=body.scorecard, source=body.source)  # fmt: skip


@router.get("/disputes", operation_id="listQaDisputes", dependencies=[allow(DISPUTE_READ)])
def list_qa_disputes(
    store: StoreDep,
    user: CurrentUser,
    params: PageDep,
    status: Annotated[Literal["open", "accepted", "rejected"] | None, Query(description="Only these.")] = None,
    agent: Annotated[str | None, Query(description="Only this agent's interactions.")] = None,
) -> dict[str, Any]:
    """Disputes of the interactions the user may see: who raised them, why, the answer as it
    stands, and how they were reviewed."""
    return page_of(service.disputes(store, user, status=status, agent_id=agent), params)


@router.get("/disputes/{dispute_id}", operation_id="getQaDispute", dependencies=[allow(DISPUTE_READ)])
def get_qa_dispute(store: StoreDep, user: CurrentUser, dispute_id: DisputeId) -> dict[str, Any]:
    """One dispute with its whole history."""
    return service.dispute(store, user, dispute_id)


@router.post("/disputes/{dispute_id}/review", operation_id="reviewQaDispute", dependencies=[allow(QA_MANAGE)])
def review_qa_dispute(
    store: StoreDep, user: CurrentUser, dispute_id: DisputeId, body: Annotated[DisputeReviewCreate, Body()]
) -> dict[str, Any]:
    """Accepts a dispute (the corrected answer replaces the automated one, now and at every
    rescoring) or rejects it. A dispute already reviewed answers 409."""
    return service.review_dispute(store, user, dispute_id, accept=body.decision == "accept", value=body.value,
                                  comment=body.comment)  # fmt: skip


# ---------------------------------------------------------------- evaluations and calibration


@router.post("/evaluations", operation_id="importQaEvaluations", dependencies=[allow(QA_MANAGE)],
             openapi_extra=_EVALUATIONS_BODY)  # fmt: skip
async def import_qa_evaluations(request: Request, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Imports human evaluations, as `qa evaluations import`: JSON rows, or a CSV, JSON or JSON Lines
    file uploaded as ``file``. Bad rows are reported with their line and not imported; the same
    evaluator, interaction and criterion again replaces the earlier answer."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "send the evaluations file as the form field 'file'",
                           fields=[{"location": "body.file", "problem": "missing"}])  # fmt: skip
        name = PurePath(upload.filename or "upload.csv").name
        content = await upload.read()
        return await run_in_threadpool(service.import_evaluations, store, content, PurePath(name).suffix.lower(),
                                       f"{name} (uploaded by {user.username})")  # fmt: skip
    if content_type.startswith("application/json"):
        try:
            body = EvaluationsCreate.model_validate_json(await request.body())
        except ValidationError as exc:
            raise _invalid(exc) from None
        rows = [r.model_dump(exclude_none=True) for r in body.evaluations]
        return await run_in_threadpool(service.import_evaluation_rows, store, rows, f"api (sent by {user.username})")
    raise ApiError(415, "send JSON ({\"evaluations\": [...]}) or a multipart form with the file as 'file'")


@router.get("/agreement", operation_id="getQaAgreement", dependencies=[allow(QA_READ)])
def get_qa_agreement(
    store: StoreDep,
    scorecard: Annotated[str | None, Query(description="Only this scorecard.")] = None,
    criterion: Annotated[str | None, Query(description="Only this criterion.")] = None,
) -> dict[str, Any]:
    """Agreement per criterion among human evaluators and between auto-QA and them: percent
    agreement, Cohen's kappa, Krippendorff's alpha, Gwet's AC1."""
    return {"criteria": service.agreement(store, scorecard, criterion)}


@router.post("/calibration/pick", operation_id="pickQaCalibration", dependencies=[allow(QA_MANAGE)])
def pick_qa_calibration(
    store: StoreDep, body: Annotated[CalibrationPickCreate | None, Body()] = None
) -> dict[str, Any]:
    """The interactions with the most disagreement not calibrated yet: what a calibration session
    should discuss, each with auto-QA's answer and evidence and every human answer."""
    body = body or CalibrationPickCreate()
    return {"picks": service.pick(store, scorecard_id=body.scorecard, criterion_id=body.criterion, size=body.size)}


@router.post("/calibration/record", status_code=201, operation_id="recordQaCalibration",
             dependencies=[allow(QA_MANAGE)])  # fmt: skip
def record_qa_calibration(
    store: StoreDep, user: CurrentUser, body: Annotated[CalibrationRecordCreate, Body()]
) -> dict[str, Any]:
    """Keeps the answer a calibration session agreed (replacing an earlier one); the user agreed it."""
    return service.record(
        store, user, interaction_id=body.interaction_id, criterion=body.criterion, answer=body.answer,
        note=body.note, scorecard_id=body.scorecard, source=body.source,
    )  # fmt: skip


@router.get("/calibration", operation_id="getQaCalibration", dependencies=[allow(QA_READ)])
def get_qa_calibration(
    store: StoreDep, scorecard: Annotated[str | None, Query(description="Only this scorecard.")] = None
) -> dict[str, Any]:
    """The calibration sessions (agreed answers by who agreed them, per day) and auto-QA against the
    agreed answers per criterion, with the thresholds that would agree best (suggestions only)."""
    return service.calibration(store, scorecard)


# ---------------------------------------------------------------- compliance risk


@router.get("/risk", operation_id="getQaRisk", dependencies=[allow(READ_AGGREGATES)])
def get_qa_risk(
    store: StoreDep,
    user: CurrentUser,
    scorecard: Annotated[str | None, Query(description="Only this scorecard.")] = None,
    criterion: Annotated[str | None, Query(description="Only this criterion.")] = None,
    by: Annotated[Literal["agent", "team", "queue"] | None, Query(description="Break down by.")] = "agent",
    trend: Annotated[Literal["day", "week"], Query(description="Trend per day or week.")] = "week",
    date_from: Annotated[date | None, Query(alias="from", description="First local day.")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last local day, included.")] = None,
    sample_rate: Annotated[float, Query(gt=0, le=1, description="The review sample to compare with.")] = 0.02,
    examples: Annotated[int, Query(ge=0, le=50, description="Failing interactions to list.")] = 5,
) -> dict[str, Any]:
    """How often each criterion fails over every interaction (95% intervals), its trend, where it
    concentrates, and what a random review of 2% of interactions would have shown of it. A
    supervisor sees the whole population's figures but only their teams and agents in the breakdown
    and their teams' interactions as examples."""
    return service.risk(store, user.scope, scorecard_id=scorecard, criterion_id=criterion, by=by, trend=trend,
                        date_from=date_from, date_to=date_to, sample_rate=sample_rate, examples=examples)  # fmt: skip
