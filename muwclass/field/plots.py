"""Sky maps of one classified field (WCSAxes): classes with their DS9 circles, and confidence.

The background is the user's X-ray image when one is given (any FITS image with a
celestial WCS), otherwise the positions of the X-ray sources and of the MW stars around
them on a tangent-plane projection centred on the field.
"""

from __future__ import annotations

import warnings
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
from muwclass.io.storage import as_path, readable

PIXELS = 800  # side of the generated projection when there is no image


def load_image(path: Path) -> tuple[np.ndarray, WCS]:
    """(2-D image, its celestial WCS) from the first image HDU; a one-line FieldError otherwise.

    Everything is read and checked here, before any work: the pixels are copied out of the
    file (astropy reads lazily, so a truncated data unit would otherwise only fail while
    plotting), a cube is accepted only when its axes beyond the first two have length 1 (that
    plane is taken), the celestial axes must be FITS axes 1 and 2 with a WCS that matches the
    2-D plane's shape, and at least one pixel must be finite.
    """
    path = as_path(path)
    if not path.is_file():
        raise FieldError(f"field.image: no file {path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with readable(path) as source, fits.open(source) as hdus:
                hdu = next((h for h in hdus if h.is_image and h.header.get("NAXIS", 0) >= 2), None)
                if hdu is None:
                    raise FieldError(f"{path}: no image HDU (2-D data) in the file")
                header = hdu.header.copy()
                data = np.array(hdu.data, dtype=float)  # reads the whole data unit now
                full = WCS(header)
        except FieldError:
            raise
        except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError, MemoryError) as exc:
            truncated = [str(w.message) for w in caught if "truncated" in str(w.message)]
            why = truncated[0] if truncated else f"{type(exc).__name__}: {exc}"
            raise FieldError(f"{path}: not a readable FITS image ({_one_line(why)})") from exc
    for w in {str(w.message): w for w in caught}.values():  # read fine: pass them on, once each
        warnings.warn(w.message, stacklevel=2)
    return _image_plane(path, data, full)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _image_plane(path: Path, data: np.ndarray, full: WCS) -> tuple[np.ndarray, WCS]:
    """The 2-D plane of ``data`` and the celestial WCS of that plane, both checked."""
    if data.ndim < 2:
        raise FieldError(f"{path}: no image HDU (2-D data) in the file")
    extra = data.shape[:-2]  # numpy order: FITS axes 3, 4, ... come first
    if any(n != 1 for n in extra):
        raise FieldError(
            f"{path}: a {data.ndim}-D cube of shape {data.shape} (numpy order): give a 2-D image, "
            "or a cube whose axes beyond the first two have length 1"
        )
    plane = data.reshape(data.shape[-2:])
    if not full.has_celestial:
        raise FieldError(
            f"{path}: the image has no celestial WCS (CTYPE1/2 RA---/DEC--): cannot place sources on it"
        )
    if sorted((full.wcs.lng, full.wcs.lat)) != [0, 1]:
        raise FieldError(
            f"{path}: the celestial WCS axes are FITS axes {full.wcs.lng + 1} and {full.wcs.lat + 1}: "
            "they must be axes 1 and 2 (the image plane)"
        )
    wcs = full.celestial
    expected = (plane.shape[1], plane.shape[0])  # (NAXIS1, NAXIS2)
    if wcs.pixel_shape is not None and tuple(wcs.pixel_shape) != expected:
        raise FieldError(
            f"{path}: the WCS describes a {wcs.pixel_shape[0]} x {wcs.pixel_shape[1]} image but the data "
            f"plane is {expected[0]} x {expected[1]} pixels"
        )
    wcs.pixel_shape = expected
    if not np.isfinite(plane).any():
        raise FieldError(f"{path}: the image has no finite pixel (all NaN or infinite): nothing to draw")
    return plane, wcs


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
