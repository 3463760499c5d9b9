"""What a shared latency store's operations met, kept per caller.

One :class:`~explorer.store.LatencyStore` serves many callers (every session of a server through
``st.cache_resource``, the threads of a sweep), so after construction the object holds no message:
the latest problem and "found unusable" are kept per caller in a ``ContextVar`` (each thread sees
what its own operations met; a page moves it into its session). Only construction's finding (a
newer schema, a folder that cannot be made) disables the store for everyone.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

# By store file: {path: (warning or None, disabled)}. A new dict on every change (never mutated in
# place), so no two threads share one.
_met: ContextVar[dict[str, tuple[str | None, bool]] | None] = ContextVar("latency_store_met", default=None)


class CallerNotes:
    """The per-caller ``warning`` and ``disabled`` of a store (a mixin: the store sets ``path``,
    ``_constructing`` and ``_unusable``, and calls ``_note``/``_disable``)."""

    path: Path
    _constructing: bool = False
    _unusable: bool = False  # set by construction only: no usable file could be made, nothing is stored

    @property
    def warning(self) -> str | None:
        """The latest problem this caller's operations met, in a sentence, or None."""
        return self._met()[0]

    @warning.setter
    def warning(self, message: str | None) -> None:
        self._note(message, self._met()[1])

    @property
    def disabled(self) -> bool:
        """Nothing is stored: no usable file could be made (for all), or this caller found it unusable."""
        return self._unusable or self._met()[1]

    def _met(self) -> tuple[str | None, bool]:
        return (_met.get() or {}).get(str(self.path), (None, False))

    def _note(self, message: str | None, disabled: bool) -> None:
        _met.set({**(_met.get() or {}), str(self.path): (message, disabled)})

    def _disable(self) -> None:
        if self._constructing:
            self._unusable = True
        else:
            self._note(self._met()[0], True)
