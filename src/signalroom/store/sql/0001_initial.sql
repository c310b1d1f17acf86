-- The interaction warehouse, version 1.
-- Natural keys are (source, id): re-ingesting a record updates it, never duplicates it.

CREATE SEQUENCE load_ids START 1;
CREATE SEQUENCE quarantine_ids START 1;

CREATE TABLE sources (
    name        VARCHAR PRIMARY KEY,
    format      VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    last_load_at TIMESTAMPTZ
);

CREATE TABLE loads (
    load_id      BIGINT PRIMARY KEY,
    source       VARCHAR NOT NULL,
    format       VARCHAR NOT NULL,
    paths        VARCHAR[] NOT NULL,
    options      JSON,                      -- the adapter options, so a quarantine retry maps alike
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,          -- running | completed | failed
    records_read BIGINT NOT NULL DEFAULT 0,
    inserted     BIGINT NOT NULL DEFAULT 0,
    updated      BIGINT NOT NULL DEFAULT 0,
    unchanged    BIGINT NOT NULL DEFAULT 0,
    quarantined  BIGINT NOT NULL DEFAULT 0,
    reasons      JSON,                      -- quarantined: {reason_code: count}
    skipped      JSON,                      -- superseded source records: {reason: count}
    error        VARCHAR
);

CREATE TABLE customers (
    source        VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    name          VARCHAR,
    segment       VARCHAR,
    value         DOUBLE,
    attributes    JSON,
    content_hash  VARCHAR NOT NULL,
    load_id       BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);

-- Every identifier a customer profile lists; kind is id | email | phone | handle | account.
CREATE TABLE customer_identifiers (
    source       VARCHAR NOT NULL,
    customer_id  VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    value        VARCHAR NOT NULL
);

-- Refreshed from interactions at the end of every load: the latest details win.
CREATE TABLE agents (
    source      VARCHAR NOT NULL,
    id          VARCHAR NOT NULL,
    name        VARCHAR,
    team        VARCHAR,
    site        VARCHAR,
    first_seen  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    PRIMARY KEY (source, id)
);

CREATE TABLE interactions (
    source             VARCHAR NOT NULL,
    id                 VARCHAR NOT NULL,
    channel            VARCHAR NOT NULL,
    started_at         TIMESTAMPTZ NOT NULL,
    ended_at           TIMESTAMPTZ,
    utc_offset_minutes SMALLINT NOT NULL,   -- the offset the record was written in: local time for day-of-week work
    customer_id        VARCHAR,
    customer_email     VARCHAR,
    customer_phone     VARCHAR,
    customer_handle    VARCHAR,
    customer_account   VARCHAR,
    customer_name      VARCHAR,
    agent_id           VARCHAR,
    agent_name         VARCHAR,              -- as the record gave them: the team at the time of the contact
    agent_team         VARCHAR,
    agent_site         VARCHAR,
    queue              VARCHAR,
    direction          VARCHAR,
    language           VARCHAR,
    parent_id          VARCHAR,
    resolved           BOOLEAN,
    disposition        VARCHAR,
    transferred        BOOLEAN,
    escalated          BOOLEAN,
    turn_count         INTEGER NOT NULL,
    attributes         JSON,
    content_hash       VARCHAR NOT NULL,
    load_id            BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);

CREATE TABLE turns (
    source          VARCHAR NOT NULL,
    interaction_id  VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,
    speaker         VARCHAR NOT NULL,
    text            VARCHAR NOT NULL,
    occurred_at     TIMESTAMPTZ,
    offset_ms       BIGINT,
    end_ms          BIGINT,
    attributes      JSON
);

CREATE TABLE call_events (
    source          VARCHAR NOT NULL,
    interaction_id  VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,
    type            VARCHAR NOT NULL,
    offset_ms       BIGINT NOT NULL,
    attributes      JSON
);

CREATE TABLE events (
    source             VARCHAR NOT NULL,
    id                 VARCHAR NOT NULL,     -- derived from the content when the record has none
    occurred_at        TIMESTAMPTZ NOT NULL,
    utc_offset_minutes SMALLINT NOT NULL,
    type               VARCHAR NOT NULL,
    channel            VARCHAR,
    customer_id        VARCHAR,
    customer_email     VARCHAR,
    customer_phone     VARCHAR,
    customer_handle    VARCHAR,
    customer_account   VARCHAR,
    customer_name      VARCHAR,
    properties         JSON,
    attributes         JSON,
    content_hash       VARCHAR NOT NULL,
    load_id            BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);

-- Standalone surveys, and the survey embedded in an interaction (id = '<interaction id>/survey').
CREATE TABLE surveys (
    source             VARCHAR NOT NULL,
    id                 VARCHAR NOT NULL,
    interaction_id     VARCHAR,
    embedded           BOOLEAN NOT NULL,
    occurred_at        TIMESTAMPTZ NOT NULL,
    utc_offset_minutes SMALLINT NOT NULL,
    customer_id        VARCHAR,
    customer_email     VARCHAR,
    customer_phone     VARCHAR,
    customer_handle    VARCHAR,
    customer_account   VARCHAR,
    customer_name      VARCHAR,
    csat               TINYINT,
    nps                TINYINT,
    ces                TINYINT,
    comment            VARCHAR,
    attributes         JSON,
    content_hash       VARCHAR NOT NULL,
    load_id            BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);

CREATE TABLE quarantine (
    id             BIGINT PRIMARY KEY,
    fingerprint    VARCHAR NOT NULL UNIQUE,  -- source, format, file, location and raw text: a rerun never repeats an entry
    load_id        BIGINT NOT NULL,
    source         VARCHAR NOT NULL,
    format         VARCHAR NOT NULL,
    file           VARCHAR NOT NULL,
    line           BIGINT,
    location       VARCHAR NOT NULL,
    reason_code    VARCHAR NOT NULL,
    field          VARCHAR,
    reason         VARCHAR NOT NULL,
    raw            VARCHAR NOT NULL,
    raw_bytes      BIGINT NOT NULL,
    raw_truncated  BOOLEAN NOT NULL,
    status         VARCHAR NOT NULL,        -- pending | resolved
    attempts       INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    resolved_by    VARCHAR                  -- 'retry' or 'reload', with the load that took the record in
);
