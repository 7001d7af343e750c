"""Every error a user can cause, in one hierarchy: the CLI prints any of them as one line.

A ``MuwclassError`` is a user's problem with a clear message (a configuration key, an input
file and row, a model that must be refitted); anything else is a bug and keeps its traceback.
Each class also derives from the built-in it replaced (``ValueError``/``RuntimeError``), so code
that caught those keeps working. This module imports nothing, so any module can raise these.
"""

from __future__ import annotations


class MuwclassError(Exception):
    """Base of every error the ``muwclass`` command reports as one line."""


class ConfigError(MuwclassError, ValueError):
    """A configuration problem, with the file and key it concerns."""


class InputError(MuwclassError, ValueError):
    """An input file that cannot be used at all (missing, unreadable, wrong columns)."""


class LabelError(MuwclassError, ValueError):
    """Training labels the class scheme does not know, or missing labels."""


class FeatureError(MuwclassError, ValueError):
    """Input columns that cannot give features (absent, absurd values)."""


class FoldError(MuwclassError, ValueError):
    """The labels cannot support the requested folds (a class too small, ...)."""


class FieldError(MuwclassError, ValueError):
    """The field cannot be classified as configured (no sources, bad image, ...)."""


class RemoteSourceError(MuwclassError):
    """A remote service could not be reached or did not answer the query."""


class AccountingError(MuwclassError, RuntimeError):
    """Rows went missing: input rows != imported + quarantined + merged duplicates."""


class ModelError(MuwclassError, RuntimeError):
    """A saved model that cannot be used here (missing, or pickled under other library versions)."""


class ReleaseError(MuwclassError, RuntimeError):
    """A release that would be inconsistent (rows lost) or would overwrite another."""


class OutputError(MuwclassError, ValueError):
    """An output location that cannot be written, or that holds something muwclass did not write."""


class StorageError(MuwclassError, OSError):
    """An object store that cannot be reached or refuses a request, named by its endpoint."""
