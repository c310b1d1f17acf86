"""How far the warehouse's data has moved: a cheap fingerprint that changes whenever a load, an
analysis run, an episode build or a signals run finishes. The command centre caches what is costly
to compute (drivers, metrics) under it."""

from __future__ import annotations

from signalroom.store.warehouse import Store


def data_version(store: Store) -> tuple[object, ...]:
    row = store.connection.execute(
        "SELECT (SELECT max(load_id) FROM loads), (SELECT max(finished_at) FROM loads), "
        "(SELECT max(run_id) FROM analysis_runs), (SELECT max(finished_at) FROM analysis_runs), "
        "(SELECT max(built_at) FROM episode_builds), (SELECT max(run_at) FROM signal_runs), "
        "(SELECT count(*) FROM qa_results), (SELECT count(*) FROM taxonomies)"
    ).fetchall()[0]
    return tuple(row)
