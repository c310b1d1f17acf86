-- Automated QA (docs/qa.md): the scorecards scored with, and every interaction's result and answers.

-- Every version of a scorecard that scored; the newest of an id is the one in use unless removed.
CREATE TABLE qa_scorecards (
    scorecard_id   VARCHAR NOT NULL,
    version        INTEGER NOT NULL,
    content_hash   VARCHAR NOT NULL,        -- of the validated scorecard: a change rescores history
    name           VARCHAR NOT NULL,
    source_path    VARCHAR,
    definition     JSON NOT NULL,           -- the validated scorecard
    loaded_at      TIMESTAMPTZ NOT NULL,
    removed_at     TIMESTAMPTZ
);

-- One row per interaction and scorecard in use: whether it applied, the score, what it was scored from.
CREATE TABLE qa_results (
    source          VARCHAR NOT NULL,
    id              VARCHAR NOT NULL,
    scorecard_id    VARCHAR NOT NULL,
    scorecard_hash  VARCHAR NOT NULL,
    input_hash      VARCHAR NOT NULL,       -- the interaction's content and analysis it was scored from
    applies         BOOLEAN NOT NULL,
    earned          DOUBLE,
    potential       DOUBLE,
    score           DOUBLE,                 -- earned / applicable potential; 0 when auto-failed
    auto_failed     BOOLEAN,
    scored_at       TIMESTAMPTZ NOT NULL
);

-- Each criterion's answer, with why and the evidence.
CREATE TABLE qa_answers (
    source        VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    scorecard_id  VARCHAR NOT NULL,
    criterion_id  VARCHAR NOT NULL,
    value         VARCHAR NOT NULL,         -- pass | fail | na
    confidence    DOUBLE NOT NULL,
    explanation   VARCHAR,
    evidence      JSON                      -- [{kind, text, turn, speaker, start, end}]
);
