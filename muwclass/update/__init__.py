"""Incremental updates: new Chandra observations change a release without redoing the sky.

The unit of change is an observation. :mod:`.observations` reads its per-source table through
a catalog definition (with the import's quarantine), :mod:`.astrometry` ties its positions to
Gaia, :mod:`.masters` matches its detections to the existing master sources and recomputes
every affected master source from all it knows.
"""
