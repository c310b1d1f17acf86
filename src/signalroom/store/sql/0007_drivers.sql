-- What outcome drivers (docs/drivers.md) read of each contact and self-service event. Like the rest
-- of the episode build's tables, all of it is derived and rebuilt whole by every build.

-- The derived tables are made again, with the new columns and without primary keys: rebuilt whole by
-- every build, their keys are unique by construction, and at a million interactions checking them
-- on every rewrite cost a minute. Their rows are written in person order, so that the context
-- card's lookups by person read one block (DuckDB's min/max per block), not the table. The next
-- `signalroom episodes build` (or `analyze`) fills them: the builds so far are forgotten.
DROP TABLE episode_interactions;
DROP TABLE episodes;
DROP TABLE contacts;
DELETE FROM episode_builds;

CREATE TABLE contacts (
    contact_source        VARCHAR NOT NULL,     -- the chain's first interaction
    contact_id            VARCHAR NOT NULL,
    person_id             BIGINT,               -- NULL: no person (no usable identifier)
    topic_id              INTEGER,              -- the contact reason; NULL: none assigned
    episode_id            BIGINT NOT NULL,
    started_at            TIMESTAMPTZ NOT NULL, -- of the first interaction
    ended_at              TIMESTAMPTZ,          -- the latest end of the chain
    local_date            DATE NOT NULL,        -- started_at in the first interaction's own offset
    channel               VARCHAR NOT NULL,     -- of the first interaction
    queue                 VARCHAR,              -- of the last interaction (who handled it last)
    agent_team            VARCHAR,
    agent_id              VARCHAR,
    resolved              BOOLEAN,              -- of the last interaction
    interactions          INTEGER NOT NULL,
    inbound               BOOLEAN NOT NULL,     -- the first interaction is not outbound
    self_service_only     BOOLEAN NOT NULL,     -- every interaction is a bot or IVR session
    next_contact_at       TIMESTAMPTZ,          -- the person's next inbound contact
    next_same_reason_at   TIMESTAMPTZ,          -- … of the same reason
    next_other_reason_at  TIMESTAMPTZ,          -- … of another reason (both with a reason)
    next_assisted_at      TIMESTAMPTZ,          -- the person's first assisted interaction from this start on
    churn_at              TIMESTAMPTZ,          -- the person's first account-closing event from this start on
    -- What outcome drivers (docs/drivers.md) read of it:
    sub_topic_id          INTEGER,              -- the contact's sub-reason
    transferred           BOOLEAN,              -- any interaction of the chain was transferred
    escalated             BOOLEAN,              -- … or escalated (a bot handoff is one)
    ended_negative        BOOLEAN,              -- the customer ended the last analysed interaction negative; NULL: not analysed
    csat_min              TINYINT,              -- the lowest CSAT answered about the chain
    previous_contact_at   TIMESTAMPTZ,          -- the person's previous inbound contact
    path                  VARCHAR,              -- 'web → bot → chat': a digital channel used ≤ 24 h before, then the chain's channels
    prior_failure         VARCHAR,              -- the type of the person's last failed self-service event ≤ 24 h before
    prior_failure_channel VARCHAR
);

CREATE TABLE episode_interactions (
    source            VARCHAR NOT NULL,
    id                VARCHAR NOT NULL,
    contact_source    VARCHAR NOT NULL,
    contact_id        VARCHAR NOT NULL,
    episode_id        BIGINT NOT NULL,
    person_id         BIGINT,
    topic_id          INTEGER,                  -- the contact's reason
    channel           VARCHAR NOT NULL,
    queue             VARCHAR,
    agent_team        VARCHAR,
    agent_id          VARCHAR,
    local_date        DATE NOT NULL,
    assisted          BOOLEAN NOT NULL,         -- not a bot or IVR session
    transferred       BOOLEAN NOT NULL,         -- outcome.transferred, or a transfer call event
    escalated         BOOLEAN NOT NULL,
    duration_s        DOUBLE,                   -- from the conversation metrics (stage_results 'metrics')
    hold_s            DOUBLE,
    silence_s         DOUBLE,
    first_response_s  DOUBLE
);

CREATE TABLE episodes (
    episode_id        BIGINT NOT NULL,         -- numbered by first contact; renumbered by each build
    person_id         BIGINT,
    topic_id          INTEGER,
    first_source      VARCHAR NOT NULL,        -- the first contact
    first_id          VARCHAR NOT NULL,
    first_contact_at  TIMESTAMPTZ NOT NULL,
    last_contact_at   TIMESTAMPTZ NOT NULL,
    contacts          INTEGER NOT NULL,
    interactions      INTEGER NOT NULL,
    resolved          BOOLEAN                  -- the last contact's resolution: resolved at the end?
);

-- The first interaction's attributes whose values are few (codes, options, flags), one row each.
CREATE TABLE contact_attributes (
    contact_source  VARCHAR NOT NULL,
    contact_id      VARCHAR NOT NULL,
    key             VARCHAR NOT NULL,
    value           VARCHAR NOT NULL
);

-- Every self-service event with its person and the person's first inbound contact from it on (what
-- drives contacts). The failed ones are the failed_events the outcome metrics read.
CREATE TABLE self_service_events (
    source           VARCHAR NOT NULL,
    id               VARCHAR NOT NULL,
    type             VARCHAR NOT NULL,
    channel          VARCHAR,
    person_id        BIGINT,
    occurred_at      TIMESTAMPTZ NOT NULL,
    local_date       DATE NOT NULL,
    failed           BOOLEAN NOT NULL,
    next_contact_at  TIMESTAMPTZ
);

DROP TABLE failed_events;
CREATE VIEW failed_events AS
    SELECT source, id, type, channel, person_id, occurred_at, local_date, next_contact_at
    FROM self_service_events WHERE failed;
