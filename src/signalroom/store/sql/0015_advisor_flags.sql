-- Advisors' signals (docs/signals.md#advisors-signals): a frontline advisor flags a pattern with an
-- interaction reference. Similar flags are grouped (group_id) and matched to the machine-detected
-- signal they describe (signal_id), by the grouping that `signalroom signals` runs.
CREATE SEQUENCE advisor_flag_ids START 1;

CREATE TABLE advisor_flags (
    flag_id             INTEGER PRIMARY KEY,
    advisor             VARCHAR NOT NULL,
    text                VARCHAR NOT NULL,
    source              VARCHAR,              -- the interaction referred to
    id                  VARCHAR,
    created_at          TIMESTAMPTZ NOT NULL,
    group_id            INTEGER,              -- the flag group; NULL: not grouped yet
    signal_id           INTEGER,              -- the machine signal it matches; NULL: none
    match_similarity    DOUBLE
);
