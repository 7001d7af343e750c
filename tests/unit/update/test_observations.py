"""Reading new observations: the two real ACIS Extract tables of IC 2395, and bad files."""

from __future__ import annotations

import pandas as pd
import pytest

from muwclass.errors import InputError
from muwclass.update.observations import read_observations

AE = "fields/IC2395_CXO/{}_results.csv"


def test_real_acis_extract_tables(data_dir):
    obs = read_observations([data_dir / AE.format(21137), data_dir / AE.format(24613)])
    assert [o.obsid for o in obs] == [21137, 24613]
    for o in obs:
        assert o.rows_in == len(o.detections) + len(o.quarantine) == 142
        d = o.detections
        assert (d["obsid"] == o.obsid).all()
        # fluxes as AE gives them, errors half the AE interval, Kim et al. 2007 radii
        raw = pd.read_csv(o.path)
        assert d["flux_b"].iloc[1] == raw["NET_FLUX_APER_broad"].iloc[1]
        half = (raw["NET_FLUX_APER_HI_broad"] - raw["NET_FLUX_APER_LO_broad"]) / 2
        assert d["e_flux_b"].iloc[1] == pytest.approx(half.iloc[1])
        assert d["err_maj"].between(0.02, 5).all()
        # more counts at the same off-axis angle: a smaller error
        assert d.sort_values("net_counts")["err_maj"].iloc[-1] < d["err_maj"].median()


def _copy(data_dir, tmp_path, obsid=21137, name=None, edit=None):
    raw = pd.read_csv(data_dir / AE.format(obsid))
    if edit:
        raw = edit(raw)
    path = tmp_path / (name or f"{obsid}_results.csv")
    raw.to_csv(path, index=False)
    return path


def test_bad_rows_are_quarantined_with_reasons(data_dir, tmp_path):
    def edit(raw):
        raw.loc[3, "RA"] = float("nan")
        raw.loc[5, "NET_COUNTS"] = -4.0
        raw["NET_FLUX_APER_broad"] = raw["NET_FLUX_APER_broad"].astype(object)
        raw.loc[7, "NET_FLUX_APER_broad"] = "n/a"
        return raw

    (o,) = read_observations([_copy(data_dir, tmp_path, edit=edit)])
    assert o.rows_in == 142 and len(o.detections) == 139 and len(o.quarantine) == 3
    reasons = " | ".join(o.quarantine.sort_values("row")["reason"])
    assert "'RA'" in reasons and "NET_COUNTS" in reasons and "NET_FLUX_APER_broad" in reasons
    assert set(o.quarantine["row"]) == {4, 6, 8}  # 1-based data rows


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing column", "NET_FLUX_APER_broad"),
        ("same obsid twice", "ObsID 21137 given twice"),
        ("no obsid in the name", "no ObsID at the start of the file name"),
        ("no such file", "no such observation file"),
        ("repeated source", "appears 2 times"),
    ],
)
def test_files_that_cannot_be_an_observation(data_dir, tmp_path, case, message):
    if case == "missing column":
        paths = [_copy(data_dir, tmp_path, edit=lambda r: r.drop(columns=["NET_FLUX_APER_broad"]))]
    elif case == "same obsid twice":
        paths = [data_dir / AE.format(21137), _copy(data_dir, tmp_path, name="21137_again.csv")]
    elif case == "no obsid in the name":
        paths = [_copy(data_dir, tmp_path, name="results.csv")]
    elif case == "repeated source":
        paths = [_copy(data_dir, tmp_path, edit=lambda r: pd.concat([r, r.iloc[[0]]]))]
    else:
        paths = [tmp_path / "24613_results.csv"]
    with pytest.raises(InputError, match=message):
        read_observations(paths)
