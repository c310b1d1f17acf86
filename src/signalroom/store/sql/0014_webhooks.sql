-- Outbound webhooks (docs/webhooks.md): a transactional outbox. A change that should be announced
-- (a new signal, an action's change) writes its event in the same transaction as the change, with one
-- delivery row per subscription it matches; the dispatcher posts pending deliveries (signed JSON,
-- the event's key as idempotency key), retries with backoff, and moves a delivery that exhausted its
-- attempts to the dead letters, from where it can be replayed.
CREATE SEQUENCE webhook_subscription_ids START 1;
CREATE SEQUENCE webhook_event_ids START 1;
CREATE SEQUENCE webhook_delivery_ids START 1;

CREATE TABLE webhook_subscriptions (
    subscription_id  INTEGER PRIMARY KEY,
    url              VARCHAR NOT NULL,
    secret           VARCHAR NOT NULL,        -- the HMAC key: needed in clear to sign
    events           VARCHAR[] NOT NULL,      -- event types, or '*'
    active           BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_events (
    event_id    BIGINT PRIMARY KEY,           -- emission order: deliveries of one subscription follow it
    event_key   VARCHAR NOT NULL UNIQUE,      -- sent as Idempotency-Key: the same on every attempt
    event_type  VARCHAR NOT NULL,
    payload     JSON NOT NULL,                -- the event's "data"
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    delivery_id      BIGINT PRIMARY KEY DEFAULT nextval('webhook_delivery_ids'),
    event_id         BIGINT NOT NULL,
    subscription_id  INTEGER NOT NULL,
    status           VARCHAR NOT NULL,        -- pending | delivered | dead
    attempts         INTEGER NOT NULL,        -- since the last replay
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    last_attempt_at  TIMESTAMPTZ,
    last_error       VARCHAR,                 -- what the last failed attempt met
    delivered_at     TIMESTAMPTZ,
    replayed_at      TIMESTAMPTZ,
    UNIQUE (event_id, subscription_id)
);

-- A delivery that exhausted its attempts, kept after a replay as the record of what happened.
CREATE TABLE webhook_dead_letters (
    delivery_id      BIGINT NOT NULL,
    event_id         BIGINT NOT NULL,
    subscription_id  INTEGER NOT NULL,
    dead_at          TIMESTAMPTZ NOT NULL,
    attempts         INTEGER NOT NULL,
    last_error       VARCHAR,
    replayed_at      TIMESTAMPTZ
);
