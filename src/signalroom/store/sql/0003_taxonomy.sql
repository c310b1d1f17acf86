-- Seeded reason taxonomies (`signalroom topics seed`): the user's YAML as given, and the fitted
-- state (reasons, threshold, the examples' embeddings) so assignment never re-embeds the examples.
-- The newest one of a tier that is not removed is in use; `topics unseed` sets removed_at.
-- interaction_reasons rows with method 'taxonomy' carry this table's version as model_version.

CREATE TABLE taxonomies (
    version      BIGINT PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    tier         VARCHAR NOT NULL,
    source_yaml  VARCHAR NOT NULL,
    state        JSON NOT NULL,
    removed_at   TIMESTAMPTZ
);
