"""HATS ingestion: native catalogs -> validated staging Parquet -> HATS (+ margins).

Shaped like hats-import: ``arguments`` (validated before work starts), ``staging`` (pure
functions one Dask task runs on one file), ``state`` (hashes and markers so a rerun skips
and a killed run resumes); ``jobs/import_catalogs.py`` holds the ``run``.
"""
