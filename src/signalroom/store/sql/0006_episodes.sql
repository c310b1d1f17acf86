-- Episodes and customer contacts (see docs/journeys.md#episodes and docs/metrics.md#outcome-metrics).
-- Everything here is derived from interactions, record_persons and interaction_reasons, and is
-- rebuilt whole by `signalroom episodes build` (and at the end of `signalroom analyze`).

-- One row per customer contact: an interaction and everything chained to it by parent_id (bot to
-- agent handoffs, transfer legs, contact-trace chains), keyed by the chain's first interaction.
-- The next_* columns do not depend on any window: outcome metrics compare them with theirs.
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
    PRIMARY KEY (contact_source, contact_id)
);

-- Which contact and episode each interaction belongs to, with what outcome metrics read of it
-- (its own channel, queue, team, agent and local date; the numbers of its conversation metrics).
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
    first_response_s  DOUBLE,
    PRIMARY KEY (source, id)
);

-- Failed self-service events, with the person's first contact from the event on.
CREATE TABLE failed_events (
    source           VARCHAR NOT NULL,
    id               VARCHAR NOT NULL,
    type             VARCHAR NOT NULL,
    channel          VARCHAR,
    person_id        BIGINT,
    occurred_at      TIMESTAMPTZ NOT NULL,
    local_date       DATE NOT NULL,
    next_contact_at  TIMESTAMPTZ,
    PRIMARY KEY (source, id)
);

-- Contacts by one person about one reason, each within the window of the one before.
CREATE TABLE episodes (
    episode_id        BIGINT PRIMARY KEY,      -- numbered by first contact; renumbered by each build
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

-- The last build: its window and what it was built from, to tell when it is out of date.
CREATE TABLE episode_builds (
    built_at        TIMESTAMPTZ NOT NULL,
    failure_types   VARCHAR[] NOT NULL,        -- failed: these types, and types ending in _failed or _error
    churn_types     VARCHAR[] NOT NULL,        -- account-closing event types
    window_days     INTEGER NOT NULL,
    interactions    BIGINT NOT NULL,
    contacts        BIGINT NOT NULL,
    episodes        BIGINT NOT NULL,
    last_load_id    BIGINT,
    reasons_run_id  BIGINT,
    seconds         DOUBLE NOT NULL
);
