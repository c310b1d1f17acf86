-- Actions (docs/actions.md): a signal turned into owned work, with its history and linked evidence.
-- Status: open → in_progress → done → verified, or rejected (with a reason) from any open state.
-- `measure` says which rate the impact after done is measured on (the signal's reasons, outcome).
CREATE SEQUENCE action_ids START 1;

CREATE TABLE actions (
    action_id        INTEGER PRIMARY KEY,
    signal_id        INTEGER,                 -- NULL: raised by hand, not from a signal
    title            VARCHAR NOT NULL,
    owner_function   VARCHAR NOT NULL,
    owner            VARCHAR,
    due              DATE,
    status           VARCHAR NOT NULL,
    rejected_reason  VARCHAR,
    measure          JSON NOT NULL,
    created_by       VARCHAR NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    done_at          TIMESTAMPTZ
);

-- Everything that happened to an action, in order: created, status, owner, due, comment, evidence.
CREATE TABLE action_events (
    action_id  INTEGER NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    actor      VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    detail     JSON NOT NULL
);

CREATE TABLE action_evidence (
    action_id  INTEGER NOT NULL,
    source     VARCHAR NOT NULL,
    id         VARCHAR NOT NULL,
    note       VARCHAR,
    added_by   VARCHAR NOT NULL,
    added_at   TIMESTAMPTZ NOT NULL
);
