-- Identity resolution: which records belong to one person (see docs/journeys.md).
-- Everything here except identity_overrides, person_anchors and identity_state is derived from the
-- record tables and rebuilt by `signalroom customers resolve --full`.

-- Settings and progress: phone_region (for numbers written without a country code) and
-- resolved_load (records of loads up to this one are resolved).
CREATE TABLE identity_state (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

-- Every normalised identifier: kind is id | account | email | phone | handle. Numbers are never
-- reused (they are the graph's node numbers, and anchors refer to them).
CREATE TABLE identity_nodes (
    node_id  BIGINT NOT NULL,
    kind     VARCHAR NOT NULL,
    value    VARCHAR NOT NULL
);

-- How each raw value normalised, so each is normalised once; node_id NULL: it identifies nobody.
CREATE TABLE identity_raw (
    kind     VARCHAR NOT NULL,
    raw      VARCHAR NOT NULL,
    node_id  BIGINT
);

-- The identifiers each record carries. record_kind is profile | interaction | event | survey;
-- first_node is the record's customer id if it has one, else its first identifier: the record's
-- identifiers are linked to it.
CREATE TABLE record_identifiers (
    record_kind  VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    record_id    VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    node_id      BIGINT NOT NULL,
    first_node   BIGINT NOT NULL
);

-- The person of every identifier; contested: shared by customers kept apart (a conflict);
-- detached: split off by hand (it links nothing).
CREATE TABLE identifier_persons (
    node_id    BIGINT NOT NULL,
    person_id  BIGINT NOT NULL,
    contested  BOOLEAN NOT NULL,
    detached   BOOLEAN NOT NULL
);

-- The person of every record: the join key for journeys, metrics and the context card.
CREATE TABLE record_persons (
    record_kind  VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    record_id    VARCHAR NOT NULL,
    person_id    BIGINT NOT NULL
);

-- A person's number belongs to its anchor — its strongest identifier, the oldest of that kind — so
-- it survives re-resolution; a person merged into another is found again through its anchor.
CREATE TABLE person_anchors (
    person_id   BIGINT PRIMARY KEY,
    node_id     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE persons (
    person_id     BIGINT NOT NULL,
    anchor_kind   VARCHAR NOT NULL,
    anchor_value  VARCHAR NOT NULL,
    name          VARCHAR,              -- from the person's profiles
    identifiers   INTEGER NOT NULL,
    profiles      INTEGER NOT NULL,
    shared        BOOLEAN NOT NULL      -- made of identifiers shared by customers kept apart
);

-- Conflicts found by the last resolution: identifiers shared by customer ids of one source.
CREATE TABLE identity_conflicts (
    conflict_id  BIGINT NOT NULL,
    person_id    BIGINT NOT NULL        -- the person the shared identifiers form
);

CREATE TABLE identity_conflict_nodes (
    conflict_id  BIGINT NOT NULL,
    node_id      BIGINT NOT NULL,
    role         VARCHAR NOT NULL       -- shared | customer
);

-- Manual merges and splits, kept across reloads and re-resolutions. action: merge (the people of
-- two identifiers are one) | split (the identifier links nothing). Identifiers are normalised.
CREATE SEQUENCE identity_override_ids START 1;
CREATE TABLE identity_overrides (
    override_id  BIGINT PRIMARY KEY,
    action       VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    value        VARCHAR NOT NULL,
    other_kind   VARCHAR,
    other_value  VARCHAR,
    note         VARCHAR,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE VIEW interaction_persons AS
    SELECT source, record_id AS id, person_id FROM record_persons WHERE record_kind = 'interaction';
CREATE VIEW event_persons AS
    SELECT source, record_id AS id, person_id FROM record_persons WHERE record_kind = 'event';
CREATE VIEW survey_persons AS
    SELECT source, record_id AS id, person_id FROM record_persons WHERE record_kind = 'survey';
