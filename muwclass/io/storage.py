"""Where products live: the driver's disk, a shared POSIX mount, or an object store.

``data_dir`` and ``work_dir`` are local paths (a laptop's disk, or a ``/lustre/...`` mount that
every worker host sees: both are plain :class:`pathlib.Path`) or fsspec URLs (``s3://``,
``gs://``, ``abfs://``...: :class:`upath.UPath`). The code beyond this module does not care
which: it opens files with ``path.open()``, lists with ``iterdir``/``glob``, and hands paths to
hats, lsdb and hats-import, which all take a ``UPath``. What differs is publishing, since an
object store has no rename (:mod:`muwclass.io.atomic` asks :func:`is_object_store`).

Credentials come from the standard places: the environment and the fsspec/boto configuration
files, which s3fs reads by itself, or ``storage_options`` in the run configuration, whose
values may reference environment variables as ``${NAME}``. References stay references in the
configuration object (so the manifest's copy of the configuration holds ``${NAME}``, never a
secret); they are resolved here, into the ``UPath`` only. ``str(path)`` and ``repr(path)``
never show storage options, which is what every message and product prints.

hats assumes anonymous access for an ``s3://`` string without options (a public bucket); a
``UPath`` with options is passed on as it is, so object-store paths are always built here.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from upath import UPath

from muwclass.errors import ConfigError, StorageError

#: fsspec protocols that are the local file system after all
_LOCAL_PROTOCOLS = ("", "file", "local")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_url(text: str) -> bool:
    return "://" in text


def is_object_store(path: Path | UPath) -> bool:
    """Whether ``path`` is on a file system without atomic rename (anything but local/POSIX)."""
    return isinstance(path, UPath) and path.protocol not in _LOCAL_PROTOCOLS


def resolve_references(options: dict[str, Any], where: str) -> dict[str, Any]:
    """``options`` with every ``${NAME}`` replaced by that environment variable (recursively);
    an unset variable is a one-line error naming the key, never a silent empty credential."""

    def value(key: str, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: value(f"{key}.{k}", x) for k, x in v.items()}
        if not isinstance(v, str):
            return v

        def env(m: re.Match) -> str:
            name = m.group(1)
            if name not in os.environ:
                raise ConfigError(f"{where}: key '{key}' references ${{{name}}}, which is not set")
            return os.environ[name]

        return _REFERENCE.sub(env, v)

    return {k: value(f"storage_options.{k}", v) for k, v in options.items()}


def location(
    text: str | Path, storage_options: dict[str, Any] | None = None, where: str = ""
) -> Path | UPath:
    """A path for ``text``: local paths as :class:`Path`, fsspec URLs as :class:`UPath` carrying
    the resolved ``storage_options`` (see the module docstring for why never a bare string)."""
    if isinstance(text, Path) and not isinstance(text, UPath):
        return text
    text = str(text)
    if not is_url(text):
        return Path(text)
    path = UPath(text, **resolve_references(storage_options or {}, where))
    if path.protocol in _LOCAL_PROTOCOLS:
        return Path(path.path)
    return path


def as_path(path: str | Path | UPath) -> Path | UPath:
    """``path`` as a path object (strings are local paths, or URLs without options)."""
    return path if isinstance(path, (Path, UPath)) else location(path)


def endpoint_of(path: Path | UPath) -> str:
    """Where an object-store path lives, for error messages (the endpoint URL or the protocol;
    never an option other than the endpoint)."""
    if not is_object_store(path):
        return str(path)
    options = path.storage_options
    endpoint = options.get("endpoint_url") or options.get("client_kwargs", {}).get("endpoint_url")
    return endpoint or os.environ.get("AWS_ENDPOINT_URL") or f"{path.protocol}://"


def storage_error(path: Path | UPath, exc: BaseException, doing: str) -> Exception:
    """A one-line :class:`~muwclass.errors.StorageError` for a failed object-store call: what
    was being done, the endpoint, and the back end's reason (never its credentials)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return StorageError(f"{doing}: object store at {endpoint_of(path)} failed ({reason})")


@contextmanager
def readable(path: Path | UPath) -> Iterator[Path | IO[bytes]]:
    """What a reader library (pyarrow, astropy) is given for ``path``: the local path itself
    (memory-mapped, multi-threaded reads stay as fast as before), or an open binary file of
    the object store (fsspec reads its ranges on demand)."""
    if not is_object_store(path):
        yield path
        return
    with path.open("rb") as handle:
        yield handle


def read_parquet(path: Path | UPath, columns: list[str] | None = None):
    """A Parquet file as a :class:`pyarrow.Table`, wherever it is."""
    import pyarrow.parquet as pq

    with readable(path) as source:
        return pq.read_table(source, columns=columns)


def parquet_rows(path: Path | UPath) -> int:
    """The number of rows of a Parquet file, from its footer."""
    import pyarrow.parquet as pq

    with readable(path) as source:
        return pq.ParquetFile(source).metadata.num_rows


def link_or_copy(source: Path | UPath, target: Path) -> None:
    """``source`` as the new local file ``target``: a hard link when both are on one file
    system (versions share partition files without copies), else a copy (a download from an
    object store)."""
    if is_object_store(source):
        source.fs.get_file(source.path, str(target))
        return
    try:
        os.link(source, target)
    except OSError:  # another file system (a release root elsewhere than the import)
        shutil.copy2(source, target)


def parquet_schema(path: Path | UPath):
    """The Arrow schema of a Parquet file, from its footer."""
    import pyarrow.parquet as pq

    with readable(path) as source:
        return pq.ParquetFile(source).schema_arrow


#: what botocore and aiohttp say when nothing answers at an endpoint (in the exception, or in
#: the text of a Dask or Spark task's failure that carries it to the driver)
_UNREACHABLE = (
    re.compile(r'Could not connect to the endpoint URL: "?(https?://[^/"\s]+)'),
    re.compile(r"Cannot connect to host ([\w.-]+:\d+)"),
    re.compile(r"Connect timeout on endpoint URL: \"?(https?://[^/\"\s]+)"),
)


def unreachable_store(exc: BaseException) -> str | None:
    """A one-line message when ``exc`` (or what caused it) is an object store that does not
    answer, naming its endpoint; None for anything else."""
    seen, stack = set(), [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        text = str(e)
        for pattern in _UNREACHABLE:
            m = pattern.search(text)
            if m:
                endpoint = m.group(1) if "://" in m.group(1) else f"http://{m.group(1)}"
                return (
                    f"the object store at {endpoint} does not answer ({type(e).__name__}): "
                    "nothing was published; rerun when it is back"
                )
        stack += [e.__cause__, e.__context__]
    return None
