"""Sky maps of one classified field (WCSAxes): classes with their DS9 circles, and confidence.

The background is the user's X-ray image when one is given (any FITS image with a
celestial WCS), otherwise the positions of the X-ray sources and of the MW stars around
them on a tangent-plane projection centred on the field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.visualization import ImageNormalize, LogStretch, PercentileInterval
from astropy.wcs import WCS
from matplotlib.lines import Line2D
from regions import Regions

from muwclass.errors import FieldError
from muwclass.field.regions import class_colour
from muwclass.io.figures import plt

PIXELS = 800  # side of the generated projection when there is no image


def load_image(path: Path) -> tuple[np.ndarray, WCS]:
    """(2-D image, its celestial WCS) from the first image HDU; clear errors otherwise."""
    if not Path(path).is_file():
        raise FieldError(f"field.image: no file {path}")
    try:
        with fits.open(path) as hdus:
            for hdu in hdus:
                if hdu.data is not None and hdu.data.ndim >= 2:
                    wcs = WCS(hdu.header).celestial
                    if not wcs.has_celestial:
                        raise FieldError(
                            f"{path}: the image has no celestial WCS (CTYPE1/2 RA---/DEC--): cannot place sources on it"
                        )
                    data = np.asarray(hdu.data, dtype=float)
                    return data.reshape(data.shape[-2:]) if data.ndim > 2 else data, wcs
    except OSError as exc:
        raise FieldError(f"{path}: not a readable FITS image ({exc})") from exc
    raise FieldError(f"{path}: no image HDU (2-D data) in the file")


def projection(centre: SkyCoord, radius_arcmin: float) -> WCS:
    """A TAN projection centred on the field, the field radius filling ~45% of the frame."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [centre.ra.deg, centre.dec.deg]
    wcs.wcs.crpix = [PIXELS / 2 + 0.5, PIXELS / 2 + 0.5]
    scale = 2.2 * radius_arcmin / 60 / PIXELS
    wcs.wcs.cdelt = [-scale, scale]
    wcs.pixel_shape = (PIXELS, PIXELS)
    return wcs


def _axes(wcs: WCS, image: np.ndarray | None, title: str):
    fig = plt.figure(figsize=(8.5, 8))
    ax = fig.add_subplot(111, projection=wcs)
    if image is not None:
        finite = image[np.isfinite(image)]
        norm = ImageNormalize(
            finite if finite.size else None, interval=PercentileInterval(99.5), stretch=LogStretch()
        )
        ax.imshow(image, origin="lower", cmap="gray_r", norm=norm)
    else:
        ax.set_xlim(-0.5, PIXELS - 0.5)
        ax.set_ylim(-0.5, PIXELS - 0.5)
    ax.coords[0].set_axislabel("RA (ICRS)")
    ax.coords[1].set_axislabel("Dec (ICRS)")
    ax.coords.grid(color="0.6", alpha=0.3, linestyle="dotted")
    ax.set_title(title)
    return fig, ax


def _points(ax, frame: pd.DataFrame, **kw) -> None:
    if len(frame):
        ax.scatter(
            frame["ra"].to_numpy(float),
            frame["dec"].to_numpy(float),
            transform=ax.get_transform("icrs"),
            **kw,
        )


def class_map(
    classified: pd.DataFrame,
    mw: dict[str, pd.DataFrame],
    regions: Regions,
    wcs: WCS,
    image: np.ndarray | None,
    path: Path,
    title: str,
) -> Path:
    """Sources with their DS9 circles (colour = class, width = CT) and a legend of classes."""
    fig, ax = _axes(wcs, image, title)
    if image is None:
        for rows in mw.values():
            _points(ax, rows, s=5, color="0.55", marker=".", linewidths=0)
        _points(ax, classified, s=8, color="k", marker="+", linewidths=0.6)
    for region in regions:  # DS9 widths (1-10 px) drawn thinner so small circles stay rings
        width = 0.6 + 0.25 * region.visual.get("linewidth", 1)
        ax.add_artist(region.to_pixel(wcs).as_artist(facecolor="none", linewidth=width))
    drawn = sorted({r.meta.get("text", "") for r in regions})
    handles = [
        Line2D([], [], ls="", marker="o", mfc="none", mec=class_colour(c), ms=9, mew=2, label=c)
        for c in drawn
    ]
    if image is None:
        handles += [
            Line2D([], [], ls="", marker="+", color="k", label="X-ray source"),
            Line2D([], [], ls="", marker=".", color="0.6", label="Gaia/2MASS/WISE"),
        ]
    ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.8)
    return _save(fig, path)


def confidence_map(
    classified: pd.DataFrame, wcs: WCS, image: np.ndarray | None, path: Path, title: str
) -> Path:
    """Every classified source coloured by its confidence CT (log scale, CT = 2 marked)."""
    fig, ax = _axes(wcs, image, title)
    ct = np.nan_to_num(classified["CT"].to_numpy(float), nan=1e-3, posinf=1e3).clip(1e-2, 1e2)
    sc = ax.scatter(
        classified["ra"].to_numpy(float),
        classified["dec"].to_numpy(float),
        c=np.log10(ct),
        cmap="viridis",
        vmin=-1,
        vmax=1.5,
        s=22,
        edgecolors="k",
        linewidths=0.3,
        transform=ax.get_transform("icrs"),
    )
    bar = fig.colorbar(sc, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("log10 CT (confident: CT >= 2)")
    bar.ax.axhline(np.log10(2), color="r", lw=1.5)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
