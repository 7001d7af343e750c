"""Remote data sources: TAP services (ADQL cone searches) and HATS catalogs over HTTP.

Failures are turned into one ``RemoteSourceError`` naming the URL (and the query), because a
user whose run stops on a remote service wants to know which service and what was asked,
not a stack of requests/pyvo/fsspec internals.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd
import requests

from muwclass.errors import RemoteSourceError

if TYPE_CHECKING:  # lsdb is heavy to import; only read_remote_hats needs it at run time
    import lsdb


def cone_adql(
    table: str,
    ra_column: str,
    dec_column: str,
    ra: float,
    dec: float,
    radius_deg: float,
    columns: list[str] | None = None,
) -> str:
    """The standard ADQL cone search, so every TAP service (CSC, Gaia, VizieR) gets the same form.

    Bad cones fail here, before a service is asked something it would answer with an
    empty table or an obscure error.
    """
    if not (0 <= ra < 360 and -90 <= dec <= 90 and 0 < radius_deg <= 180):
        raise ValueError(f"bad cone: ra={ra}, dec={dec}, radius={radius_deg} deg")
    if columns is not None and not columns:
        raise ValueError("columns is empty: pass None for all columns")
    cols = ", ".join(columns) if columns else "*"
    return (
        f"SELECT {cols} FROM {table} WHERE 1=CONTAINS(POINT('ICRS', {ra_column}, {dec_column}), "
        f"CIRCLE('ICRS', {float(ra)!r}, {float(dec)!r}, {float(radius_deg)!r}))"
    )


def tap_query(url: str, adql: str, timeout: float = 60.0, maxrec: int | None = None) -> pd.DataFrame:
    """Run a synchronous TAP query and return the rows as a DataFrame.

    A result the service truncated at its own limit (QUERY_STATUS=OVERFLOW with fewer rows
    than ``maxrec`` asked for) is an error, not a warning: a silently shortened cone would
    lose counterparts without anyone noticing. Truncation at the caller's ``maxrec`` is what
    the caller asked for and passes.
    """
    import pyvo

    try:
        service = pyvo.dal.TAPService(url, session=_TimeoutSession(timeout, pyvo.utils.http.USER_AGENT))
        with warnings.catch_warnings():
            # pyvo warns on overflow; we decide below from the status instead
            warnings.simplefilter("ignore", pyvo.dal.exceptions.DALOverflowWarning)
            result = service.run_sync(adql, maxrec=maxrec)
        table = result.to_table()
    except (pyvo.dal.DALAccessError, requests.RequestException) as exc:
        raise RemoteSourceError(f"TAP service {url} failed for query [{adql}]: {_first_line(exc)}") from None
    status = (result.query_status or "").upper()
    if status == "OVERFLOW" and (maxrec is None or len(table) < maxrec):
        raise RemoteSourceError(
            f"TAP service {url} truncated the result of query [{adql}] at {len(table)} rows "
            f"(service limit{'' if maxrec is None else f'; maxrec={maxrec} was asked'}): "
            "use a smaller cone or pass a larger maxrec"
        )
    frame = table.to_pandas()
    for c in frame.columns:  # some services / astropy versions give char columns as bytes
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, bytes)).any():
            frame[c] = frame[c].map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)
    return frame


def read_remote_hats(url: str, **kwargs: Any) -> lsdb.Catalog:
    """Open a HATS catalog (or collection) over HTTP(S) with lsdb, lazily.

    ``kwargs`` go to ``lsdb.read_hats`` (``columns``, ``search_filter``, ...), so only the
    partitions and columns needed are ever downloaded. hats reports an unreachable server
    and a directory that is not a catalog with the same message, so on failure we ask the
    server once more to say which it was.
    """
    import aiohttp
    import lsdb

    try:
        return lsdb.read_hats(url, **kwargs)
    except (OSError, ValueError, aiohttp.ClientError) as exc:
        reason = _diagnose_http(url) or _first_line(exc)
        raise RemoteSourceError(f"cannot open remote HATS catalog {url}: {reason}") from None


class _TimeoutSession(requests.Session):
    """A requests session with a default timeout: pyvo sets none, and a hung service would hang the run."""

    def __init__(self, timeout: float, user_agent: str) -> None:
        super().__init__()
        self._timeout = timeout
        self.headers["User-Agent"] = user_agent

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


def _diagnose_http(url: str, timeout: float = 10.0) -> str | None:
    """Why an HTTP(S) URL is not a HATS catalog: unreachable, or no properties file there."""
    if not url.lower().startswith(("http://", "https://")):
        return None
    base = url.rstrip("/")
    try:
        for name in ("hats.properties", "properties", "collection.properties"):
            r = requests.get(f"{base}/{name}", timeout=timeout)
            if r.ok:
                return None  # there is a catalog: the original error says what else is wrong
            if r.status_code != 404:
                return f"HTTP {r.status_code} for {base}/{name}"
    except requests.RequestException as exc:
        return f"server unreachable ({type(exc).__name__}: {_first_line(exc)})"
    return "not a HATS catalog (no hats.properties or collection.properties there)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
