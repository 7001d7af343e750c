"""A real S3-compatible HTTP server on 127.0.0.1 for tests: moto's standalone server.

``moto_server`` is a separate process (``moto_server -H 127.0.0.1 -p <port>``, the server the
s3fs and fsspec test suites use), so requests go through HTTP exactly as to AWS or MinIO, and a
test can stop it mid-run (:meth:`S3Server.stop`) and start it again on the same port
(:meth:`S3Server.start`). moto keeps its buckets in memory: a restart empties them, so a test
that needs data across a restart stops the server only while nothing is stored that it needs.

Credentials are test values given to the client through ``storage_options`` (moto accepts any
key); :data:`SECRET` is distinctive, so a test can grep every output for it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

KEY_ID = "muwclass-test-key"
SECRET = "muwclass-s3cr3t-never-printed-7f3a"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """One moto server process on 127.0.0.1 (``endpoint``), startable and stoppable."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [exe, "-H", "127.0.0.1", "-p", str(self.port)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"moto server on {self.endpoint} did not start (log {self.log})")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def storage_options(self, secret: str = SECRET) -> dict:
        """fsspec options for this server: the secret as given (tests pass ``${NAME}``)."""
        return {"endpoint_url": self.endpoint, "key": KEY_ID, "secret": secret}

    def fs(self):
        """An s3fs file system on this server."""
        import s3fs

        return s3fs.S3FileSystem(**self.storage_options())

    def create_bucket(self, name: str) -> None:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        ).create_bucket(Bucket=name)


@contextmanager
def s3_server(tmp: Path, buckets: tuple[str, ...] = ("muwclass",)) -> Iterator[S3Server]:
    """A running moto server with ``buckets`` created; stopped at the end."""
    server = S3Server(tmp / "moto.log")
    server.start()
    try:
        for bucket in buckets:
            server.create_bucket(bucket)
        yield server
    finally:
        server.stop()


def upload_tree(server: S3Server, local: Path, url: str) -> None:
    """Copy a local directory to ``url`` on the server (test inputs)."""
    server.fs().put(str(local), url.removeprefix("s3://"), recursive=True)


class Outage:
    """A TCP relay in front of a server, which a test cuts (:meth:`cut`: open connections are
    reset and new ones refused, as when a store goes down) and restores (:meth:`restore`) while
    the server keeps its data. moto holds its buckets in memory, so stopping moto itself would
    lose them; clients are given :attr:`endpoint` instead of the server's."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def restore(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(128)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            # shutdown first: close() alone leaves the socket listening while accept() blocks
            with suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        with self._lock:
            for conn in self._open:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._open.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                if self._server is not server:
                    return  # cut
                time.sleep(0.01)  # e.g. out of file descriptors for a moment: keep serving
                continue
            if self._server is not server:  # cut while this connection was being accepted
                client.close()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            with self._lock:
                self._open |= set(pair)
            ended: list[int] = []  # directions that have ended
            for a, b in (pair, pair[::-1]):
                threading.Thread(target=self._pipe, args=(a, b, pair, ended), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, pair: tuple, ended: list[int]) -> None:
        """Copy ``src`` to ``dst`` until either ends; the second direction to end closes both
        sockets (a relay that only half-closed them leaked two descriptors per connection and
        stopped accepting after a few thousand: the store looked down in the middle of a run)."""
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        with self._lock:
            ended.append(1)
            if len(ended) < 2:
                return
            self._open -= set(pair)
        for sock in pair:
            sock.close()


os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
