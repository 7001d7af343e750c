"""The versioned release of the classified catalog: HATS + FITS + CSV, manifest, model card, plots.

``writer`` (atomic release directory and ``latest`` pointer), ``manifest`` (code version, class
counts), ``model_card`` and ``run_classify_catalog`` (the Spark classification of the whole
crossmatch and the release written from it).
"""
