"""Shareable links of the Trade-offs, Compare and separable pages: page state ↔ URL query parameters.

Each page declares its URL fields (:class:`Field`: a query parameter, the session-state key of
the widget it seeds, the default, and how to read and write the text). A link someone opened
(query parameters this session did not write) seeds the widgets before they are created; an
invalid one gets a message naming the parameter and the page falls back to its defaults. After
the widgets ran, :func:`write` puts the page's state back in the URL, leaving defaults out so
links stay short.

The explorer pages' configs travel through ``ui.links`` (``encode``/``decode``); the Compare
page holds two of them, so its parameters carry a family prefix (``v1.width_multiplier=0.5``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from explorer import MobileNetConfig

from . import links
from .state import opened_link, write_url

MAX_TEXT = 200  # no field of these pages needs more; a longer value is a tampered link


class LinkError(ValueError):
    """A query parameter that cannot be read: names the parameter and says why."""

    def __init__(self, param: str, reason: str):
        super().__init__(f"{param}: {reason}")
        self.param, self.reason = param, reason


@dataclass(frozen=True)
class Field:
    """One piece of page state in the URL."""

    param: str  # the query parameter's name
    key: str  # the session-state key of the widget it seeds
    default: Any
    to_text: Callable[[Any], str]
    from_text: Callable[[str], Any]  # raises ValueError with the reason


def slug(text: str) -> str:
    """A readable URL value for a label: "Accuracy vs MACs" → "accuracy-vs-macs"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def choice(param: str, key: str, options: Sequence[Any], default: Any, text: Callable[[Any], str] = slug) -> Field:
    """One of ``options``, written as ``text(option)``."""
    by_text = {text(str(o)): o for o in options}

    def read(value: str) -> Any:
        if value not in by_text:
            allowed = ", ".join(by_text)
            raise ValueError(f"unknown value {value[:30]!r}; allowed: {allowed[:300]}")
        return by_text[value]

    return Field(param, key, default, lambda o: text(str(o)), read)


def flag(param: str, key: str, default: bool) -> Field:
    def read(value: str) -> bool:
        if value not in ("0", "1"):
            raise ValueError(f"must be 0 or 1, got {value[:20]!r}")
        return value == "1"

    return Field(param, key, default, lambda v: "1" if v else "0", read)


def number(param: str, key: str, default: float | int | None, lo: float, hi: float, integer: bool = False) -> Field:
    """A number in [lo, hi]; ``None`` (no value, e.g. "no limit") is the empty text."""

    def read(value: str) -> float | int | None:
        if value == "":
            return None
        try:
            x = int(value) if integer else float(value)
        except ValueError:
            raise ValueError(f"expected {'an integer' if integer else 'a number'}, got {value[:20]!r}") from None
        if not math.isfinite(x) or not lo <= x <= hi:
            raise ValueError(f"must be between {lo:g} and {hi:g}, got {value[:20]}")
        return x

    # 12 significant digits: short for typed values (150, 2.5), exact enough that a link never rounds one
    return Field(param, key, default, lambda v: "" if v is None else f"{v:.12g}" if isinstance(v, float) else str(v), read)


def several(param: str, key: str, options: Sequence[str], default: Sequence[str], text: Mapping[str, str]) -> Field:
    """A subset of ``options``, comma-separated by their short names ``text[option]``."""
    by_text = {text[o]: o for o in options}

    def read(value: str) -> list[str]:
        names = [v for v in value.split(",") if v]
        unknown = [n for n in names if n not in by_text]
        if unknown:
            raise ValueError(f"unknown value {unknown[0][:30]!r}; allowed: {', '.join(by_text)}")
        return [o for o in options if text[o] in names]

    return Field(param, key, list(default), lambda vs: ",".join(text[v] for v in vs), read)


# --- opening and writing links ------------------------------------------------------------------
# ui.state keeps which parameters this session wrote: a URL it did not write is a link someone opened.

opened = opened_link
write = write_url


def read_fields(fields: Sequence[Field], params: Mapping[str, str], known: Sequence[str] = ()) -> dict[str, Any]:
    """Values of ``fields`` in ``params``; raises LinkError for the first unknown or invalid one.
    ``known``: other parameters of the page, read elsewhere."""
    by_param = {f.param: f for f in fields}
    values = {}
    for param, text in params.items():
        if param in known:
            continue
        field = by_param.get(param)
        if field is None:
            raise LinkError(param[:40], "not a setting of this page")
        if len(text) > MAX_TEXT:
            raise LinkError(param, f"is {len(text)} characters long; at most {MAX_TEXT}")
        try:
            values[field.key] = field.from_text(text)
        except ValueError as err:
            raise LinkError(param, str(err)) from None
    return values


def seed(fields: Sequence[Field], values: Mapping[str, Any] | None = None) -> None:
    """Set the widgets to ``values``, every other field to its default (a link states them all)."""
    for field in fields:
        st.session_state[field.key] = (values or {}).get(field.key, field.default)


def open_link(page: str, fields: Sequence[Field], known: Sequence[str] = ()) -> tuple[dict[str, str] | None, str | None]:
    """Seed the page's widgets from an opened link. Returns (the link's parameters or None, a
    message for an invalid link: the page then shows its defaults)."""
    params = opened(page)
    if params is None:
        return None, None
    try:
        values = read_fields(fields, params, known)
    except LinkError as err:
        seed(fields)
        return params, f"This link has an invalid setting ({err.param}: {err.reason}), so the page shows its defaults."
    seed(fields, values)
    return params, None


def field_params(fields: Sequence[Field]) -> dict[str, str]:
    """The current state of ``fields`` as parameters, defaults left out."""
    out = {}
    for field in fields:
        value = st.session_state.get(field.key, field.default)
        if value != field.default:
            out[field.param] = field.to_text(value)
    return out


# --- two configs on one page (Compare) ------------------------------------------------------------

PREFIXES = {"mobilenet_v1": "v1", "mobilenet_v2": "v2", "mobilenet_v3_large": "v3l", "mobilenet_v3_small": "v3s"}


def encode_prefixed(config: MobileNetConfig) -> dict[str, str]:
    """``links.encode`` with the family's prefix on every parameter: ``v2.resolution=192``."""
    return links.encode(config, prefix=PREFIXES[config.arch] + ".")


def decode_prefixed(arch: str, params: Mapping[str, str]) -> MobileNetConfig | None:
    """The ``arch`` config of a two-config link, or None when the link has none of its parameters.
    Raises ConfigError naming the parameter as written (``v2.blocks[3].s``)."""
    prefix = PREFIXES[arch] + "."
    if not any(k.startswith(prefix) for k in params):
        return None
    return links.decode(arch, params, prefix=prefix)
