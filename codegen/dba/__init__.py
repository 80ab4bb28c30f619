"""Tools for the second users of this project, DBAs: what each query touches and locks
(`relations`), a review catalog (`docs`), plans on generated data (`explain`, `datagen`),
`pg_stat_statements` by query name (`stats`) and a distribution check (`distribution`).

They consume the pipeline's public results only: `parse.Query`, `catalog.Catalog`,
`analyze.Analysis` and `pipeline.Result`.
"""
