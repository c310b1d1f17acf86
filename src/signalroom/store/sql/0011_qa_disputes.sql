-- Disputes of automated QA answers (docs/qa.md#disputes): raised by an agent with a comment,
-- accepted (with the corrected answer, which later rescoring keeps) or rejected by a reviewer.
CREATE SEQUENCE qa_dispute_ids START 1;
CREATE TABLE qa_disputes (
    dispute_id      BIGINT NOT NULL,
    source          VARCHAR NOT NULL,
    id              VARCHAR NOT NULL,
    scorecard_id    VARCHAR NOT NULL,
    criterion_id    VARCHAR NOT NULL,
    original_value  VARCHAR NOT NULL,      -- the answer disputed
    raised_by       VARCHAR NOT NULL,
    comment         VARCHAR NOT NULL,
    raised_at       TIMESTAMPTZ NOT NULL,
    status          VARCHAR NOT NULL,      -- open | accepted | rejected
    corrected_value VARCHAR,               -- accepted: the answer from now on
    reviewer        VARCHAR,
    review_comment  VARCHAR,
    reviewed_at     TIMESTAMPTZ
);

-- Everything that happened to a dispute, in order: nothing is overwritten.
CREATE TABLE qa_dispute_events (
    dispute_id  BIGINT NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    action      VARCHAR NOT NULL,          -- raised | accepted | rejected
    actor       VARCHAR NOT NULL,
    comment     VARCHAR,
    value       VARCHAR                    -- the answer at that point
);
