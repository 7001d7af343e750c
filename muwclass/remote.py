"""Remote data sources: TAP services (ADQL cone searches) and HATS catalogs over HTTP.

Failures are turned into one ``RemoteSourceError`` naming the URL and the query, because a
user whose run stops on a remote service wants to know which service and what was asked,
not a stack of requests/pyvo internals.
"""

from __future__ import annotations

import pandas as pd


class RemoteSourceError(RuntimeError):
    """A remote service could not be reached or did not answer the query."""


def cone_adql(
    table: str,
    ra_column: str,
    dec_column: str,
    ra: float,
    dec: float,
    radius_deg: float,
    columns: list[str] | None = None,
) -> str:
    """The standard ADQL cone search."""
    if not (0 <= ra < 360 and -90 <= dec <= 90 and radius_deg > 0):
        raise ValueError(f"bad cone: ra={ra}, dec={dec}, radius={radius_deg} deg")
    cols = ", ".join(columns) if columns else "*"
    return (
        f"SELECT {cols} FROM {table} WHERE 1=CONTAINS(POINT('ICRS', {ra_column}, {dec_column}), "
        f"CIRCLE('ICRS', {ra!r}, {dec!r}, {radius_deg!r}))"
    )


def tap_query(url: str, adql: str, timeout: float = 60.0, maxrec: int | None = None) -> pd.DataFrame:
    """Run a synchronous TAP query and return the rows as a DataFrame."""
    import pyvo
    import requests

    session = requests.Session()
    session.request = _with_timeout(session.request, timeout)
    try:
        service = pyvo.dal.TAPService(url, session=session)
        result = service.run_sync(adql, maxrec=maxrec)
        table = result.to_table()
    except (pyvo.dal.DALServiceError, pyvo.dal.DALQueryError, pyvo.dal.DALFormatError, requests.RequestException) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RemoteSourceError(f"TAP service {url} failed for query [{adql}]: {reason}") from None
    frame = table.to_pandas()
    for c in frame.columns:
        if frame[c].dtype == object and len(frame) and isinstance(frame[c].iloc[0], bytes):
            frame[c] = frame[c].str.decode("utf-8")
    return frame


def _with_timeout(request, timeout: float):
    def wrapped(method, url, **kwargs):
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return wrapped


def read_remote_hats(url: str, **kwargs):
    """Open a HATS catalog (or collection) over HTTP(S) with lsdb, lazily."""
    import lsdb

    try:
        return lsdb.read_hats(url, **kwargs)
    except Exception as exc:  # fsspec/aiohttp/hats raise many kinds for a bad URL
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RemoteSourceError(f"cannot open remote HATS catalog {url}: {reason}") from None
