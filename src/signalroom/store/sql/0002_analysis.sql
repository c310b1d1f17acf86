-- Analysis results. Every result row carries the run that made it; each run records its stages
-- and their parameters, so every result says how it was made.

CREATE SEQUENCE analysis_run_ids START 1;

CREATE TABLE analysis_runs (
    run_id         BIGINT PRIMARY KEY,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    status         VARCHAR NOT NULL,          -- running | completed | failed | interrupted
    full_run       BOOLEAN NOT NULL,
    pipeline_hash  VARCHAR NOT NULL,          -- of the stages' names, versions and parameters
    stages         JSON NOT NULL,             -- [{name, version, params}]
    interactions   BIGINT NOT NULL DEFAULT 0,
    flagged        BIGINT NOT NULL DEFAULT 0,
    error          VARCHAR
);

-- One row per analysed interaction: which content and which pipeline it was analysed with.
CREATE TABLE interaction_analysis (
    source         VARCHAR NOT NULL,
    id             VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,
    pipeline_hash  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    analysed_at    TIMESTAMPTZ NOT NULL,
    purpose_text   VARCHAR,                   -- the customer's own words about why they came (redacted)
    flags          VARCHAR[] NOT NULL,        -- why it could not be fully analysed, if so
    PRIMARY KEY (source, id)
);

-- Turn text after PII redaction, with where each mark stands.
CREATE TABLE redacted_turns (
    source          VARCHAR NOT NULL,
    interaction_id  VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,
    text            VARCHAR NOT NULL,
    spans           JSON                      -- [{start, end, entity, score, recognizer}]
);

-- Each stage's result for an interaction (sentiment, conversation metrics, situation…).
CREATE TABLE stage_results (
    source   VARCHAR NOT NULL,
    id       VARCHAR NOT NULL,
    stage    VARCHAR NOT NULL,
    result   JSON NOT NULL,
    run_id   BIGINT NOT NULL,
    PRIMARY KEY (source, id, stage)
);

CREATE TABLE interaction_embeddings (
    source   VARCHAR NOT NULL,
    id       VARCHAR NOT NULL,
    tier     VARCHAR NOT NULL,
    vector   FLOAT[] NOT NULL,
    run_id   BIGINT NOT NULL,
    PRIMARY KEY (source, id, tier)
);

-- Fitted contact-reason models; the newest is the one in use.
CREATE TABLE reason_models (
    version      BIGINT PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    tier         VARCHAR NOT NULL,
    params       JSON NOT NULL,
    state        JSON NOT NULL,               -- the serialised model: topics, centroids, names, edits
    fitted_on    BIGINT NOT NULL
);

CREATE TABLE interaction_reasons (
    source         VARCHAR NOT NULL,
    id             VARCHAR NOT NULL,
    model_version  BIGINT NOT NULL,
    method         VARCHAR NOT NULL,          -- discovered | taxonomy
    topic_id       INTEGER,
    sub_topic_id   INTEGER,
    confidence     DOUBLE NOT NULL,
    unexplained    BOOLEAN NOT NULL,
    run_id         BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);
