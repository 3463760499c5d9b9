"""Exceptions in one line: what a page, the CLI or a sweep's table shows of an error it reports."""

from __future__ import annotations

MAX_CHARS = 300  # an exporter's message can be a page of IR; its first line says what went wrong


def first_line(err: BaseException) -> str:
    """The first line of ``err``'s message (at most :data:`MAX_CHARS`), or its type's name when it has none."""
    text = str(err).strip()
    return text.splitlines()[0][:MAX_CHARS] if text else type(err).__name__


def error_text(err: BaseException) -> str:
    """``TypeName: first line`` (or just the type's name when the message is empty)."""
    text = str(err).strip()
    return f"{type(err).__name__}: {first_line(err)}" if text else type(err).__name__
