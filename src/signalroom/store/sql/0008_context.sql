-- The handoff context card (docs/context.md): the cached next-issue model, and the indexes that
-- make the card's point lookups fast.

-- The next-issue model fitted on one episode build's contacts (journeys/next_issue.py), with its
-- held-out evaluation; refitted, replacing this row, when the build is newer.
CREATE TABLE next_issue_models (
    built_at     TIMESTAMPTZ PRIMARY KEY,   -- episode_builds.built_at of the contacts it learned from
    fitted_at    TIMESTAMPTZ NOT NULL,
    window_days  INTEGER NOT NULL,
    state        JSON NOT NULL,             -- NextIssuePredictor.to_dict()
    evaluation   JSON,                      -- evaluate(): held-out scores against the baseline
    labels       JSON NOT NULL              -- reason names at fit time: {topic_id: name}
);

-- DuckDB scans by index only on single-column indexes (the composite primary keys are not used for
-- a lookup): without these, each of the card's lookups scans its table (4–8 ms each at 1M
-- interactions, docs/performance.md). The episode build's tables have none: keeping indexes up to
-- date while they are rewritten cost 18 s a build at 1M; their rows are in person order instead. A later migration that alters one of these tables must drop
-- its index first and create it again after: DuckDB refuses ALTER on an indexed table.
CREATE INDEX interactions_id ON interactions (id);
CREATE INDEX turns_interaction ON turns (interaction_id);
CREATE INDEX events_id ON events (id);
CREATE INDEX stage_results_id ON stage_results (id);
CREATE INDEX interaction_analysis_id ON interaction_analysis (id);
CREATE INDEX record_persons_person ON record_persons (person_id);
