-- Emerging signals (docs/signals.md): the ranked list that `signalroom analyze` and
-- `signalroom signals detect` write. A signal is one phenomenon — a customer need, a phrase, a newly
-- forming cluster, a group of advisors' flags — with every detector's finding about it merged in.
-- Its id stays the same from run to run through its fingerprint, so actions, webhooks and advisors'
-- flags keep referring to it; a signal no longer detected keeps its row with rank NULL.
CREATE SEQUENCE signal_ids START 1;

CREATE TABLE signals (
    signal_id             INTEGER PRIMARY KEY,
    fingerprint           VARCHAR NOT NULL,     -- 'need:<label>', 'phrase:<text>', 'cluster:<label>', 'flags:<group>'
    title                 VARCHAR NOT NULL,
    kind                  VARCHAR NOT NULL,     -- need | phrase | cluster | flags
    reasons               INTEGER[] NOT NULL,   -- the reasons it is about (empty: none)
    detectors             VARCHAR[] NOT NULL,   -- the detectors and driver analyses that found it
    first_detected        DATE NOT NULL,
    last_detected         DATE NOT NULL,
    rank                  INTEGER,              -- in the latest list; NULL: not in it any more
    score                 DOUBLE NOT NULL,
    support               INTEGER NOT NULL,     -- contacts (and advisors' flags) behind it
    affected_customers    INTEGER NOT NULL,
    extra_contacts        DOUBLE NOT NULL,
    extra_repeat_contacts DOUBLE NOT NULL,
    cost                  DOUBLE,               -- at the run's cost per contact; NULL: none given
    advisor_flags         INTEGER NOT NULL,
    owner_function        VARCHAR,              -- suggested by the routing rules
    owner                 VARCHAR,
    routing_rule          VARCHAR,              -- the rule that chose them
    findings              JSON NOT NULL,        -- each detector's finding
    series                JSON NOT NULL,        -- the daily series to chart
    evidence              JSON NOT NULL,        -- example interactions ('source/id')
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE signal_runs (
    run_at      TIMESTAMPTZ NOT NULL,
    as_of       DATE NOT NULL,
    since       DATE NOT NULL,
    signals     INTEGER NOT NULL,
    config      JSON NOT NULL
);
