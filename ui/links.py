"""Shareable links: configs and page settings ↔ URL query parameters, both ways, validated.

Pure functions (no streamlit): every page that keeps its state in the URL uses them, so links
read the same everywhere.

- A config is written in readable form, e.g. ``?width_multiplier=0.75&resolution=192&blocks=
  1.16.1.1_6.24.2.2_…`` (V2 rows are t.c.n.s, V1 rows c.n.s). Fields at their family default are
  left out. Decoding builds a schema-v1 dict and runs the same validation as a config file, so a
  tampered link gets the same clear message naming the field.
- A page that shows several configs (Compare) gives each a prefix: ``encode(config, prefix="a.")``
  writes ``a.width_multiplier=…`` and ``decode(arch, params, prefix="a.")`` reads only those keys.
- Page settings that are not a config (a chart's axis, a toggle) are :class:`Setting` s, written
  by :func:`encode_settings` and read back, validated, by :func:`decode_settings`.
- :func:`explorer_link` is the relative URL of the explorer page that shows a config (or, inside
  the app, ``st.page_link(PAGE_FILE[arch], query_params=encode(config))``), and
  :func:`config_from_link` reads any such link back (a pasted URL or just its path and query).

Floats are written with ``repr`` (the shortest text that reads back to the same bits): α =
0.12499999 stays 0.12499999, where ``:g`` formatting made it 0.125, a different model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from explorer import ConfigError, MobileNetConfig, parse_config
from explorer.config import FAMILY_DEFAULTS, PAPER_BLOCKS, ROW_KEYS, SCHEMA_VERSION, V3_ARCHS

ROW_SEP, CELL_SEP = "_", "."
_INT_FIELDS = ("resolution", "num_classes")
_FLOAT_FIELDS = ("width_multiplier", "dropout")
_BOOL_FIELDS = ("depthwise_separable", "linear_bottleneck", "residual", "squeeze_excite", "hard_swish")
# V3 rows in a link: k.exp.c.se.nl.s with se as 0/1 and nl as the paper's RE / HS (3.72.40.1.RE.2).
_V3_NL = {"relu": "RE", "hardswish": "HS"}
_V3_NL_TEXT = {text: nl for nl, text in _V3_NL.items()}
MAX_PARAM_LENGTH = 2000  # a paper-sized table encodes in ~100 characters

# The explorer page of each family: its URL path (streamlit_app.py's url_path) and its script, for
# st.page_link(PAGE_FILE[arch], query_params=encode(config)), which opens that config there.
# V3-Large and V3-Small share the /v3 page; its ``model`` parameter says which (V3_MODEL_PARAM).
PAGE_OF_ARCH = {"mobilenet_v1": "v1", "mobilenet_v2": "v2", "mobilenet_v3_large": "v3", "mobilenet_v3_small": "v3"}
ARCH_OF_PAGE = {"v1": "mobilenet_v1", "v2": "mobilenet_v2"}
PAGE_FILE = {"mobilenet_v1": "app_pages/v1.py", "mobilenet_v2": "app_pages/v2.py",
             "mobilenet_v3_large": "app_pages/v3.py", "mobilenet_v3_small": "app_pages/v3.py"}
V3_MODEL_PARAM = "model"
V3_MODELS = {"large": "mobilenet_v3_large", "small": "mobilenet_v3_small"}
V3_MODEL_OF_ARCH = {arch: name for name, arch in V3_MODELS.items()}


def number_text(value: float) -> str:
    """A float as the shortest text that reads back exactly: 1.0 → "1", 0.12499999 → "0.12499999"."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def encode(config: MobileNetConfig, prefix: str = "") -> dict[str, str]:
    """Query parameters for ``config``; fields at their family default are left out to keep links short."""
    params = {
        "width_multiplier": number_text(config.width_multiplier),
        "resolution": str(config.resolution),
    }
    if config.num_classes != 1000:
        params["num_classes"] = str(config.num_classes)
    for key, default in FAMILY_DEFAULTS[config.arch].items():
        value = getattr(config, key)
        if value != default:
            params[key] = ("1" if value else "0") if isinstance(value, bool) else number_text(value) if isinstance(value, float) else str(value)
    if config.blocks != PAPER_BLOCKS[config.arch]:
        params["blocks"] = ROW_SEP.join(CELL_SEP.join(_cell_text(v) for v in row.to_dict().values()) for row in config.blocks)
    return {prefix + key: value for key, value in params.items()}


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return _V3_NL.get(value, str(value))


def _v3_cell(text: str, field: str, key: str) -> Any:
    """A V3 row's cell from a link: se 0/1, nl RE/HS, numbers otherwise; validation names the rest."""
    if key == "se":
        if text not in ("0", "1"):
            raise ConfigError(field, f"must be 0 or 1 in the link, got {text[:20]!r}")
        return text == "1"
    if key == "nl":
        return _V3_NL_TEXT.get(text, text)
    return _number(text, field, int)


def _number(text: str, field: str, kind: type) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(field, f"expected {'an integer' if kind is int else 'a number'} in the link, got {text[:20]!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(field, f"must be a finite number, got {text[:20]!r}")
    return value


def decode(arch: str, params: Mapping[str, str], prefix: str = "") -> MobileNetConfig:
    """The config a link describes; raises ConfigError naming the field for anything wrong.

    Without a prefix every key must be a config field. With one, only the keys that start with it
    are read (the page owns the others), and error messages name the key as written in the URL.
    """
    fields = {name[len(prefix):]: text for name, text in params.items() if name.startswith(prefix)}
    try:
        return _decode(arch, fields)
    except ConfigError as err:
        if prefix:
            raise ConfigError(prefix + err.field, err.reason) from None
        raise


def _decode(arch: str, params: Mapping[str, str]) -> MobileNetConfig:
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "arch": arch}
    keys = ROW_KEYS[arch]
    for field, text in params.items():
        if len(text) > MAX_PARAM_LENGTH:
            raise ConfigError(field, f"is {len(text)} characters long in the link; at most {MAX_PARAM_LENGTH}")
        if field in _INT_FIELDS:
            data[field] = _number(text, field, int)
        elif field in _FLOAT_FIELDS:
            data[field] = _number(text, field, float)
        elif field in _BOOL_FIELDS:
            if text not in ("0", "1"):
                raise ConfigError(field, f"must be 0 or 1 in the link, got {text[:20]!r}")
            data[field] = text == "1"
        elif field == "activation":
            data[field] = text
        elif field == "blocks":
            rows = []
            for i, row in enumerate(text.split(ROW_SEP)):
                cells = row.split(CELL_SEP)
                if len(cells) != len(keys):
                    raise ConfigError(f"blocks[{i}]", f"expected {len(keys)} numbers ({CELL_SEP.join(keys)}), got {row[:30]!r}")
                if arch in V3_ARCHS:
                    rows.append({k: _v3_cell(v, f"blocks[{i}].{k}", k) for k, v in zip(keys, cells)})
                else:
                    rows.append({k: _number(v, f"blocks[{i}].{k}", int) for k, v in zip(keys, cells)})
            data["blocks"] = rows
        else:
            data[field] = text  # unknown key: parse_config names it
    return parse_config(data)


def explorer_link(config: MobileNetConfig) -> str:
    """The relative URL of the explorer page showing ``config``: ``v2?width_multiplier=0.75&…``.

    Relative (no leading slash), so it works wherever the app is served, also under a path prefix.
    """
    return f"{PAGE_OF_ARCH[config.arch]}?{urlencode(page_params(config))}"


def page_params(config: MobileNetConfig) -> dict[str, str]:
    """The query parameters of the explorer page showing ``config``: V3's page adds which model."""
    model = {V3_MODEL_PARAM: V3_MODEL_OF_ARCH[config.arch]} if config.arch in V3_ARCHS else {}
    return {**model, **encode(config)}


def v3_arch_of(params: Mapping[str, str]) -> str:
    """The V3 model a /v3 link names (Large when it names none); ConfigError for another value."""
    name = params.get(V3_MODEL_PARAM, "large")
    if name not in V3_MODELS:
        raise ConfigError(V3_MODEL_PARAM, f"must be one of {', '.join(V3_MODELS)}, got {name[:20]!r}")
    return V3_MODELS[name]


def config_from_link(link: str) -> MobileNetConfig:
    """The config of an explorer link: a full URL (``http://host/v2?…``), a path (``/v1?…``) or ``v2?…``.

    Raises ConfigError naming ``link`` when it is not a V1/V2 page link, or the bad field.
    """
    parts = urlsplit(link.strip())
    page = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if page not in (*ARCH_OF_PAGE, "v3"):
        pages = " or ".join(f"/{p}" for p in (*ARCH_OF_PAGE, "v3"))
        raise ConfigError("link", f"must be a link to the {pages} page, got {link.strip()[:60]!r}")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if page == "v3":
        arch = v3_arch_of(params)
        return decode(arch, {k: v for k, v in params.items() if k != V3_MODEL_PARAM})
    return decode(ARCH_OF_PAGE[page], params)


# --- page settings that are not a config --------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One page setting kept in the URL: a choice among ``choices``, or a bounded number, or a flag.

    ``kind`` is ``str`` (needs ``choices``), ``int``, ``float`` or ``bool`` (written 0/1). Values
    equal to ``default`` are left out of the URL.
    """

    name: str
    default: Any
    kind: type = str
    choices: tuple[Any, ...] | None = None
    lo: float | None = None
    hi: float | None = None

    def text(self, value: Any) -> str:
        if self.kind is bool:
            return "1" if value else "0"
        return number_text(value) if self.kind is float else str(value)

    def parse(self, text: str) -> Any:
        if self.kind is bool:
            if text not in ("0", "1"):
                raise ConfigError(self.name, f"must be 0 or 1 in the link, got {text[:20]!r}")
            return text == "1"
        value = _number(text, self.name, self.kind) if self.kind in (int, float) else text
        if self.choices is not None and value not in self.choices:
            raise ConfigError(self.name, f"must be one of {', '.join(map(str, self.choices))}, got {text[:20]!r}")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise ConfigError(self.name, f"must be between {self.lo:g} and {self.hi:g}, got {text[:20]!r}")
        return value


def encode_settings(values: Mapping[str, Any], settings: Iterable[Setting]) -> dict[str, str]:
    """Query parameters for the page settings that differ from their default."""
    return {s.name: s.text(values[s.name]) for s in settings if s.name in values and values[s.name] != s.default}


def decode_settings(params: Mapping[str, str], settings: Iterable[Setting]) -> dict[str, Any]:
    """Every setting's value: from the link where present, else its default. ConfigError names a bad one."""
    return {s.name: s.parse(params[s.name]) if s.name in params else s.default for s in settings}

