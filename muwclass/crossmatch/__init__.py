"""Probabilistic crossmatch of an X-ray catalog with Gaia/2MASS/WISE-like catalogs on lsdb.

Statistics in pure numpy (``likelihood``: positional likelihood ratios and posteriors;
``mag_prior``: NWAY's magnitude prior), the lsdb algorithm that applies them to a pair of
partitions (``algorithm``), functions over one partition of the result (``partition``,
``best``), their lazy orchestration (``chain``), validation against a truth (``validation``)
and the stage's run (``run_crossmatch``).
"""
