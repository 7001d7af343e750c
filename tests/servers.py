"""Real HTTP servers on 127.0.0.1 for tests: a minimal TAP sync service and a file server.

The TAP service answers what pyvo sends (POST <base>/sync with REQUEST, LANG, QUERY, MAXREC)
for the subset of ADQL our code generates: a column list or *, TOP n, one table, and an
optional CONTAINS(POINT, CIRCLE) cone. Results are VOTables written by astropy.
"""

from __future__ import annotations

import functools
import io
import re
import threading
import urllib.parse
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer, BaseHTTPRequestHandler
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.table import Table

_SELECT = re.compile(r'''^\s*SELECT\s+(?:TOP\s+(?P<top>\d+)\s+)?(?P<cols>.+?)\s+FROM\s+(?P<table>"[^"]+"|[\w./]+)(?P<rest>.*)$''', re.I | re.S)
_CONE = re.compile(
    r"1\s*=\s*CONTAINS\(\s*POINT\(\s*'ICRS'\s*,\s*(?P<ra_col>\w+)\s*,\s*(?P<dec_col>\w+)\s*\)\s*,\s*"
    r"CIRCLE\(\s*'ICRS'\s*,\s*(?P<ra>[-+\d.eE]+)\s*,\s*(?P<dec>[-+\d.eE]+)\s*,\s*(?P<r>[-+\d.eE]+)\s*\)\s*\)",
    re.I,
)


def angular_sep_deg(ra1, dec1, ra2, dec2):
    ra1, dec1, ra2, dec2 = map(np.radians, (ra1, dec1, ra2, dec2))
    s = np.sin((dec2 - dec1) / 2) ** 2 + np.cos(dec1) * np.cos(dec2) * np.sin((ra2 - ra1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(s)))


def run_adql(tables: dict[str, pd.DataFrame], adql: str, maxrec: int | None) -> pd.DataFrame:
    m = _SELECT.match(adql)
    if not m:
        raise ValueError(f"unsupported ADQL: {adql}")
    name = m["table"].strip('"')
    if name not in tables:
        raise KeyError(f"table '{name}' does not exist")
    frame = tables[name]
    cone = _CONE.search(m["rest"])
    if cone:
        sep = angular_sep_deg(frame[cone["ra_col"]], frame[cone["dec_col"]], float(cone["ra"]), float(cone["dec"]))
        frame = frame[sep <= float(cone["r"])]
    cols = [c.strip() for c in m["cols"].split(",")]
    if cols != ["*"]:
        frame = frame[cols]
    limit = min(x for x in (int(m["top"]) if m["top"] else None, maxrec) if x is not None) if (m["top"] or maxrec) else None
    return frame.head(limit) if limit is not None else frame


def _votable_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    Table.from_pandas(frame.reset_index(drop=True)).write(buf, format="votable")
    return buf.getvalue()


def _error_votable(message: str) -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        f'<RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">{message}</INFO></RESOURCE></VOTABLE>'
    )
    return text.encode()


class _TapHandler(BaseHTTPRequestHandler):
    tables: dict[str, pd.DataFrame] = {}
    requests_seen: list[str] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def _params(self) -> dict[str, str]:
        parsed = urllib.parse.urlparse(self.path)
        params = dict(urllib.parse.parse_qsl(parsed.query))
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            params.update(urllib.parse.parse_qsl(body))
        return {k.upper(): v for k, v in params.items()}

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
            self._answer(404, _error_votable(f"no such endpoint {path}"))
            return
        params = self._params()
        try:
            maxrec = int(params["MAXREC"]) if params.get("MAXREC") else None
            frame = run_adql(self.tables, params.get("QUERY", ""), maxrec)
        except (KeyError, ValueError) as exc:
            self._answer(400, _error_votable(str(exc).strip("'\"")))
            return
        self._answer(200, _votable_bytes(frame))

    do_GET = _handle
    do_POST = _handle


@contextmanager
def serve(handler_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def tap_server(tables: dict[str, pd.DataFrame]):
    """A TAP service at ``<url>`` (queries go to ``<url>/sync``) serving ``tables``."""
    handler = type("Handler", (_TapHandler,), {"tables": tables, "requests_seen": []})
    with serve(handler) as (url, _):
        yield url + "/tap", handler


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def file_server(root: Path):
    """Static files under ``root`` over HTTP (what a remote HATS bucket looks like)."""
    with serve(functools.partial(_QuietFiles, directory=str(root))) as (url, _):
        yield url
