-- Human QA evaluations and calibration (docs/qa.md#human-evaluations-and-calibration).

-- One human answer per evaluator, interaction, scorecard and criterion: a newer import of the same
-- four replaces it. The file and line it came from stay with it, so a wrong answer can be traced.
CREATE TABLE qa_evaluations (
    source          VARCHAR NOT NULL,
    interaction_id  VARCHAR NOT NULL,
    scorecard_id    VARCHAR NOT NULL,
    criterion_id    VARCHAR NOT NULL,
    evaluator       VARCHAR NOT NULL,
    answer          VARCHAR NOT NULL,       -- pass | fail | na
    comment         VARCHAR,
    evaluated_at    TIMESTAMPTZ,            -- when the evaluator answered, if the file says
    imported_at     TIMESTAMPTZ NOT NULL,
    file            VARCHAR NOT NULL,
    line            INTEGER NOT NULL
);

-- The answer agreed in a calibration session, one per interaction, scorecard and criterion: a newer
-- one replaces it. What auto-QA and thresholds are measured against.
CREATE TABLE qa_calibrations (
    source          VARCHAR NOT NULL,
    interaction_id  VARCHAR NOT NULL,
    scorecard_id    VARCHAR NOT NULL,
    criterion_id    VARCHAR NOT NULL,
    answer          VARCHAR NOT NULL,       -- pass | fail | na
    agreed_by       VARCHAR NOT NULL,
    agreed_at       TIMESTAMPTZ NOT NULL,
    note            VARCHAR
);
