"""Real HTTP servers on 127.0.0.1 for tests: a minimal TAP sync service and a static file server.

The TAP service answers what pyvo's ``TAPService.run_sync`` sends: a single POST to
``<base>/sync`` with REQUEST=doQuery, LANG=ADQL, QUERY and optionally MAXREC (pyvo 1.9 asks
for nothing else: no /capabilities, no /tables). It understands the subset of ADQL our code
generates, and refuses anything else with a 400 rather than ignoring a clause it cannot
parse, so a test can never pass on a condition the server silently dropped:

    SELECT [TOP n] * | col, col... FROM table
        [WHERE 1=CONTAINS(POINT('ICRS', ra_col, dec_col), CIRCLE('ICRS', ra, dec, r))]

Results are VOTables written by astropy with QUERY_STATUS OK, or OVERFLOW after the table
when MAXREC or the service limit cut the result (as DALI says); errors are HTTP 400 with a
QUERY_STATUS=ERROR VOTable, which pyvo turns into DALQueryError.
"""

from __future__ import annotations

import functools
import io
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.coordinates import angular_separation
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import Table

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SELECT = re.compile(
    r"^\s*SELECT\s+(?:TOP\s+(?P<top>\d+)\s+)?(?P<cols>.+?)\s+FROM\s+(?P<table>\"[^\"]+\"|[\w./]+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?\s*;?\s*$",
    re.I | re.S,
)
_CONE = re.compile(
    r"^1\s*=\s*CONTAINS\(\s*POINT\(\s*'ICRS'\s*,\s*(?P<ra_col>\w+)\s*,\s*(?P<dec_col>\w+)\s*\)\s*,\s*"
    rf"CIRCLE\(\s*'ICRS'\s*,\s*(?P<ra>{_NUM})\s*,\s*(?P<dec>{_NUM})\s*,\s*(?P<r>{_NUM})\s*\)\s*\)$",
    re.I,
)


class AdqlError(ValueError):
    """The query is outside what this service understands, or names something that does not exist."""


def angular_sep_deg(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle separation in degrees (astropy's Vincenty formula)."""
    sep = angular_separation(
        np.asarray(ra1, float) * u.deg,
        np.asarray(dec1, float) * u.deg,
        np.asarray(ra2, float) * u.deg,
        np.asarray(dec2, float) * u.deg,
    )
    return sep.to_value(u.deg)


def run_adql(
    tables: dict[str, pd.DataFrame], adql: str, maxrec: int | None = None, limit: int | None = None
) -> tuple[pd.DataFrame, bool]:
    """Evaluate ``adql`` on ``tables``; returns the rows and whether MAXREC / ``limit`` cut them."""
    m = _SELECT.match(adql)
    if not m:
        raise AdqlError(f"unsupported ADQL: {adql}")
    name = m["table"].strip('"')
    if name not in tables:
        raise AdqlError(f"table '{name}' does not exist")
    frame = tables[name]
    if m["where"]:
        cone = _CONE.match(m["where"].strip())
        if not cone:
            raise AdqlError(f"unsupported WHERE clause: {m['where']}")
        missing = {cone["ra_col"], cone["dec_col"]} - set(frame.columns)
        if missing:
            raise AdqlError(f"column(s) {sorted(missing)} not in table '{name}'")
        sep = angular_sep_deg(
            frame[cone["ra_col"]], frame[cone["dec_col"]], float(cone["ra"]), float(cone["dec"])
        )
        frame = frame[sep <= float(cone["r"])]
    cols = [c.strip() for c in m["cols"].split(",")]
    if cols != ["*"]:
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise AdqlError(f"column(s) {missing} not in table '{name}'")
        frame = frame[cols]
    if m["top"] is not None:
        frame = frame.head(int(m["top"]))  # TOP is the query's own limit: no overflow
    caps = [x for x in (maxrec, limit) if x is not None]
    overflow = bool(caps) and len(frame) > min(caps)
    if overflow:
        frame = frame.head(min(caps))
    return frame.reset_index(drop=True), overflow


def result_votable(frame: pd.DataFrame, overflow: bool = False) -> bytes:
    """A TAP result document: QUERY_STATUS=OK before the table, OVERFLOW after it if cut."""
    votable = from_table(Table.from_pandas(frame))
    votable.resources[0].type = "results"
    votable.resources[0].infos.append(Info(name="QUERY_STATUS", value="OK"))
    buf = io.BytesIO()
    votable.to_xml(buf)
    text = buf.getvalue().decode()
    if overflow:
        text = text.replace("</TABLE>", '</TABLE>\n  <INFO name="QUERY_STATUS" value="OVERFLOW"/>', 1)
    return text.encode()


def error_votable(message: str) -> bytes:
    """A TAP error document (DALI): QUERY_STATUS=ERROR with the message as content."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n'
        f' <RESOURCE type="results">\n  <INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO>\n'
        " </RESOURCE>\n</VOTABLE>\n"
    ).encode()


class _TapHandler(BaseHTTPRequestHandler):
    tables: dict[str, pd.DataFrame]
    limit: int | None
    requests_seen: list[str]
    queries: list[dict[str, str]]

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _params(self) -> dict[str, str]:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
        if self.command == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            params.update(urllib.parse.parse_qsl(body))
        return {k.upper(): v for k, v in params.items()}  # TAP parameter names are case-insensitive

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-votable+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        path = urllib.parse.urlparse(self.path).path
        self.requests_seen.append(f"{self.command} {path}")
        if not path.endswith("/sync"):
            self._answer(404, error_votable(f"no such endpoint {path}"))
            return
        params = self._params()
        self.queries.append(params)
        try:
            if (
                params.get("REQUEST", "doQuery").lower() != "doquery"
                or params.get("LANG", "ADQL").upper() != "ADQL"
            ):
                raise AdqlError(f"unsupported REQUEST/LANG {params.get('REQUEST')}/{params.get('LANG')}")
            maxrec = int(params["MAXREC"]) if params.get("MAXREC") else None
            frame, overflow = run_adql(self.tables, params.get("QUERY", ""), maxrec, self.limit)
        except (AdqlError, ValueError) as exc:
            self._answer(400, error_votable(str(exc)))
            return
        self._answer(200, result_votable(frame, overflow))

    do_GET = _handle
    do_POST = _handle


@contextmanager
def serve(handler_factory) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """Run ``handler_factory`` on a free port of 127.0.0.1 in a daemon thread until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def tap_server(
    tables: dict[str, pd.DataFrame], limit: int | None = None
) -> Iterator[tuple[str, type[_TapHandler]]]:
    """A TAP service at ``<url>`` (queries go to ``<url>/sync``) serving ``tables``.

    ``limit`` is the service's own row limit (like a real archive's sync limit). Yields the
    base URL and the handler class, whose ``requests_seen`` / ``queries`` record what came in.
    """
    handler = type(
        "Handler", (_TapHandler,), {"tables": tables, "limit": limit, "requests_seen": [], "queries": []}
    )
    with serve(handler) as (url, _):
        yield url + "/tap", handler


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def file_server(root: Path) -> Iterator[str]:
    """Static files under ``root`` over HTTP (what a remote HATS bucket looks like); yields the base URL."""
    with serve(functools.partial(_QuietFiles, directory=str(root))) as (url, _):
        yield url


def closed_port_url(path: str = "") -> str:
    """A URL on 127.0.0.1 where nobody listens (a port bound then released), for unreachable-server tests."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
