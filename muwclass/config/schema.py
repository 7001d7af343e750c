"""The internal column schema every catalog is mapped to.

Catalog definitions (``catalogs/*.yaml``) map native column names onto these names, so
that crossmatch, features and classification never see survey-specific spellings.
Positions are degrees (ICRS); positional errors are 1-sigma semi-axes in arcsec with the
position angle in degrees east of north; epochs are decimal Julian years; proper motions
mas/yr; X-ray fluxes erg/s/cm2; magnitudes Vega (Gaia, 2MASS, WISE).
"""

from __future__ import annotations

#: Columns every imported catalog carries after mapping.
CORE_COLUMNS: dict[str, str] = {
    "source_id": "string",
    "ra": "float64",
    "dec": "float64",
    "err_maj": "float64",  # 1-sigma semi-major axis, arcsec
    "err_min": "float64",  # 1-sigma semi-minor axis, arcsec
    "err_pa": "float64",  # deg east of north
    "epoch": "float64",  # decimal year of the position
}

#: X-ray band names shared by CSC and (after conversion) 3XMM.
XRAY_BANDS = ("s", "m", "h", "b")

#: Optional X-ray columns (master sources and per-observation detections).
XRAY_COLUMNS: dict[str, str] = {
    "significance": "float64",
    **{f"flux_{b}": "float64" for b in XRAY_BANDS},
    **{f"e_flux_{b}": "float64" for b in XRAY_BANDS},
    "var_intra_prob": "float64",
    "var_inter_prob": "float64",
    "nh_gal": "float64",  # 1e20 cm-2, as CSC gives it
    "powlaw_gamma": "float64",
    "obsid": "int64",
    "theta": "float64",  # off-axis angle of a detection, arcmin
    "net_counts": "float64",  # net source counts of a detection (broad band)
    "flag_extent": "bool",
    "flag_pileup": "bool",
    "flag_sat": "bool",
    "flag_streak": "bool",
    "flag_conf": "bool",
    # the catalog's own summary of a source's quality says "problematic" (3XMM SC_SUM_FLAG >= 3):
    # such a source is classified and carries the flag into the release, never dropped
    "flag_quality": "bool",
}

#: Optical/IR photometry bands, in the order the features use them.
MW_BANDS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2", "W3", "W4")
#: the surveys whose photometry the models read, and their bands (a counterpart is drawn per survey)
SURVEYS = {"gaia": ("G", "BP", "RP"), "2mass": ("J", "H", "K"), "wise": ("W1", "W2", "W3")}

#: Optional multiwavelength columns.
MW_COLUMNS: dict[str, str] = {
    **{b: "float64" for b in MW_BANDS},
    **{f"e_{b}": "float64" for b in MW_BANDS},
    "pmra": "float64",
    "pmdec": "float64",
    "e_pmra": "float64",
    "e_pmdec": "float64",
    "parallax": "float64",
    "e_parallax": "float64",
    "ruwe": "float64",
    "rgeo": "float64",
    "flags": "string",
}

ALL_COLUMNS: dict[str, str] = {**CORE_COLUMNS, **XRAY_COLUMNS, **MW_COLUMNS}

#: 95% error ellipse -> 1-sigma for a 2-D Gaussian: r95 = sigma * sqrt(-2 ln 0.05).
SIGMA_PER_95 = 1.0 / 2.447746830680816
#: 90% (XMM/other conventions) -> 1-sigma.
SIGMA_PER_90 = 1.0 / 2.145966026289347
#: 68% (circular) -> 1-sigma.
SIGMA_PER_68 = 1.0 / 1.509596259036
