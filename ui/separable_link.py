"""The "Why depthwise separable is cheap" page's link: the shape shown (a layer of the visitor's
model, or custom values) in the URL, and a shared link opened back into the page's inputs."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from explorer import ConfigError, MobileNetConfig
from explorer.config import ARCHS, MAX_CHANNELS, MAX_RESOLUTION
from explorer.separable import MAX_KERNEL_SIZE, STRIDES, ConvShape, default_layer, layer_shapes

from . import page_links
from .separable_view import CUSTOM_DEFAULTS, SOURCES, problem_text
from .state import ARCH_TITLES

# --- the page's link ------------------------------------------------------------------------------
# ``?shape=layer&model=v2&layer=blocks.7&k=3&m=384&n=64&f=14`` or ``?shape=custom&k=5&m=64&n=128&f=28&s=2``.
# A layer link carries its shape too: the visitor's own model may not have that layer, or not with
# that shape, and the link must still show what its sender saw.

SHAPE_FIELDS = {"k": "kernel_size", "m": "in_channels", "n": "out_channels", "f": "feature_size", "s": "stride"}
SHAPE_LIMITS = {"kernel_size": MAX_KERNEL_SIZE, "in_channels": MAX_CHANNELS, "out_channels": MAX_CHANNELS,
                "feature_size": MAX_RESOLUTION}  # the sidebar inputs' own bounds


def link_fields() -> list[page_links.Field]:
    return [
        page_links.choice("shape", "separable.source", SOURCES, "layer"),
        page_links.choice("model", "separable.arch", ARCHS, ARCHS[0], text=lambda a: page_links.PREFIXES.get(a, a)),
        *(page_links.number(p, f"separable.{name}", CUSTOM_DEFAULTS[name], 1, SHAPE_LIMITS[name], integer=True)
          for p, name in SHAPE_FIELDS.items() if name != "stride"),
        page_links.choice("s", "separable.stride", STRIDES, CUSTOM_DEFAULTS["stride"], text=str),
    ]


def _layer_name(label: str) -> str:
    return label.split(" ", 1)[0]  # "blocks.6 (14×14, 512→512)" → "blocks.6"


def open_link(remembered: Callable[[str], MobileNetConfig]) -> tuple[str | None, str | None]:
    """Seed the page from a shared link. Returns (an error for an invalid link, a note when the
    link's layer is shown as custom values); an invalid link leaves the page at its defaults."""
    ss = st.session_state
    fields = link_fields()
    params = page_links.opened("separable")
    if params is None:
        return None, None
    try:
        values = page_links.read_fields(fields, params, known=("layer",))
        given = {name: values[f"separable.{name}"] for name in SHAPE_FIELDS.values() if f"separable.{name}" in values}
        shape = ConvShape(**(CUSTOM_DEFAULTS | given)) if given else None  # validated: odd kernel, stride 1 or 2, …
        source = values.get("separable.source", "layer")
        note = None
        if source == "layer":
            arch = values.get("separable.arch", ARCHS[0])
            choices = layer_shapes(remembered(arch))
            name = params.get("layer", "")
            label = next((lab for lab, _ in choices if _layer_name(lab) == name), None) if name else default_layer(remembered(arch))[0]
            if label is None and shape is None:
                raise page_links.LinkError("layer", f"{name[:30]!r} is not a layer of your {ARCH_TITLES[arch]}")
            if label is None or (shape is not None and dict(choices)[label] != shape):
                values["separable.source"] = "custom"  # the sender's layer differs from this visitor's model
                note = (f"The link's layer {name[:30]} comes from a {ARCH_TITLES[arch]} other than yours here, "
                        "so its shape is shown as custom values.")
            else:
                ss[f"separable.layer.{arch}"] = label
        page_links.seed(fields, values)
        return None, note
    except page_links.LinkError as err:
        problem = f"{err.param}: {err.reason}"
    except ConfigError as err:  # the shape's own check, named by the link's parameter and the paper's symbol
        param = {name: p for p, name in SHAPE_FIELDS.items()}.get(err.field, err.field)
        problem = f"{param}: {problem_text(err)}"
    page_links.seed(fields)
    for arch in ARCHS:
        ss.pop(f"separable.layer.{arch}", None)
    return f"This link has an invalid setting ({problem}), so the page shows its defaults.", None


def write_link(source: str, arch: str, label: str | None, shape: ConvShape) -> None:
    params = {"shape": source}
    if source == "layer":
        params |= {"model": page_links.PREFIXES[arch], "layer": _layer_name(label)}
    params |= {p: str(getattr(shape, name)) for p, name in SHAPE_FIELDS.items()}
    page_links.write("separable", params)
