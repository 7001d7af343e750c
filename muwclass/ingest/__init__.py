"""Ingestion: native catalogs -> validated staging Parquet -> HATS collections (+ margins).

Shaped like hats-import: ``arguments`` (what one catalog's import will do, checked before any
work), ``staging`` (the map function one Dask task runs on one file, with ``mapping`` from native
columns to the internal schema, ``bands`` for XMM's energy bands and ``candidates`` for
cone-search files), ``dedup`` (the reduce step over duplicate ids), ``accounting`` (rows in =
imported + quarantined + merged), ``resume_plan`` (what is already done), ``hats_build``
(hats-import) and ``run_import`` (submits and waits).
"""
