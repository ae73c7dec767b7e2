"""Errors that reach the user: a message, optional hints, and an exit code."""

from __future__ import annotations


class YurtError(Exception):
    """A user-facing failure: printed as `error: message` plus hints, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *hints: str) -> None:
        super().__init__(message)
        self.message = message
        self.hints = tuple(hint for hint in hints if hint)


class ConfigurationError(YurtError):
    """A flag, environment variable or configuration file holds a value yurt cannot use."""


class InterpreterNotFound(YurtError):
    """No Python interpreter matches the request."""


class VirtualEnvironmentError(YurtError):
    """A virtual environment cannot be created, kept or cleared as asked."""
