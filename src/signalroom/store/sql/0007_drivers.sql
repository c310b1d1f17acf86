-- What outcome drivers (docs/drivers.md) read of each contact and self-service event. Like the rest
-- of the episode build's tables, all of it is derived and rebuilt whole by every build.

ALTER TABLE contacts ADD COLUMN sub_topic_id INTEGER;       -- the contact's sub-reason
ALTER TABLE contacts ADD COLUMN transferred BOOLEAN;        -- any interaction of the chain was transferred
ALTER TABLE contacts ADD COLUMN escalated BOOLEAN;          -- … or escalated (a bot handoff is one)
ALTER TABLE contacts ADD COLUMN ended_negative BOOLEAN;     -- the customer ended the last analysed interaction negative; NULL: not analysed
ALTER TABLE contacts ADD COLUMN csat_min TINYINT;           -- the lowest CSAT answered about the chain
ALTER TABLE contacts ADD COLUMN previous_contact_at TIMESTAMPTZ; -- the person's previous inbound contact
ALTER TABLE contacts ADD COLUMN path VARCHAR;               -- 'web → bot → chat': a digital channel used ≤ 24 h before, then the chain's channels
ALTER TABLE contacts ADD COLUMN prior_failure VARCHAR;      -- the type of the person's last failed self-service event ≤ 24 h before
ALTER TABLE contacts ADD COLUMN prior_failure_channel VARCHAR;

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
    next_contact_at  TIMESTAMPTZ,
    PRIMARY KEY (source, id)
);

DROP TABLE failed_events;
CREATE VIEW failed_events AS
    SELECT source, id, type, channel, person_id, occurred_at, local_date, next_contact_at
    FROM self_service_events WHERE failed;
