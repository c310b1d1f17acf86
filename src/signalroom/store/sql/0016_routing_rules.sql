-- Routing rules (docs/routing.md) set by `signalroom routing set`: the newest is in use; none: the
-- shipped defaults.
CREATE TABLE routing_rules (
    version      INTEGER PRIMARY KEY,
    set_at       TIMESTAMPTZ NOT NULL,
    set_by       VARCHAR NOT NULL,
    source_yaml  VARCHAR NOT NULL
);
