"""PyTorch → ONNX: one self-contained ``.onnx`` file, its layer map, and validation of ONNX files.

* **Export**: ``torch.onnx.export(..., dynamo=True, opset_version=18)`` (the torch.export-based
  exporter, which needs ``onnxscript``). It folds batch norm into the preceding convolution. The
  weights are kept inline, so one file downloads and opens in Netron or any ONNX runtime. Shapes
  are static (the batch the file was exported for): that is what a deployed MobileNet runs.
* **Metadata**: every node keeps ``namespace``, the module path it came from (``blocks.3.expand``)
  that maps runtime kernels back to the layer table; the exporter's stack traces are dropped (they
  hold this machine's file paths). The model carries the explorer's config
  (``explorer.config``) and a SHA-256 of everything else (``explorer.sha256``), so an edited file
  is recognised on import.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from ..errors import first_line
from .artifacts import Artifact, artifact_key, cached_artifact
from .comparison import reference_model
from .names import require
from .quiet import quiet_export
from .seal import CHECKSUM_KEY, CONFIG_KEY, ArtifactError, read_seal

if TYPE_CHECKING:
    import onnx
    import torch

OPSET = 18
# Node metadata kept in the file: the module path. The rest (stack traces with local paths, FX
# node dumps, rewrite-rule names) triples the graph's size and tells a reader nothing.
KEEP_NODE_METADATA = ("namespace",)
MAX_ONNX_BYTES = 1 << 30  # protobuf's hard limit is 2 GiB; the largest allowed config is ~400 MB


def export_onnx(config: MobileNetConfig, model: torch.nn.Module | None = None, batch: int = 1) -> Artifact:
    """The model as ONNX bytes (cached per config, batch and weights). Not yet checked against eager:
    :func:`explorer.runtimes.checked_export` and :func:`explorer.runtimes.measure_runtime` do that."""
    require("onnxruntime")
    model = reference_model(config, model)
    return cached_artifact(artifact_key("onnx", config, batch, model), lambda: _export(config, model, batch))


def _export(config: MobileNetConfig, model: torch.nn.Module, batch: int) -> Artifact:
    import copy

    import torch

    from .comparison import check_input

    started = time.perf_counter()
    private = copy.deepcopy(model).eval()  # the exporter traces the module; a shared model stays untouched
    with quiet_export(), torch.no_grad():
        program = torch.onnx.export(private, (check_input(config, batch),), dynamo=True, opset_version=OPSET,
                                    input_names=["image"], output_names=["logits"], verbose=False)
    proto = program.model_proto
    for node in proto.graph.node:
        kept = [(p.key, p.value) for p in node.metadata_props if p.key in KEEP_NODE_METADATA]
        del node.metadata_props[:]
        for k, v in kept:
            node.metadata_props.add(key=k, value=v)
    proto.doc_string = (f"{config.arch} width {config.width_multiplier:g}, {config.resolution} px, batch {batch}, "
                        "exported by MobileNet Explorer (random weights, not a trained network)")
    _set_model_metadata(proto, CONFIG_KEY, config.to_json())
    _seal(proto)
    return Artifact("onnx", proto.SerializeToString(deterministic=True), time.perf_counter() - started)


def _set_model_metadata(proto: onnx.ModelProto, key: str, value: str) -> None:
    for entry in proto.metadata_props:
        if entry.key == key:
            entry.value = value
            return
    proto.metadata_props.add(key=key, value=value)


def _digest(proto: onnx.ModelProto) -> str:
    """SHA-256 of the model serialized without its own checksum entry."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    kept = [(p.key, p.value) for p in copy.metadata_props if p.key != CHECKSUM_KEY]
    del copy.metadata_props[:]
    for k, v in kept:
        copy.metadata_props.add(key=k, value=v)
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


def _seal(proto: onnx.ModelProto) -> None:
    _set_model_metadata(proto, CHECKSUM_KEY, _digest(proto))


def model_metadata(proto: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in proto.metadata_props}


# --- layer map --------------------------------------------------------------------------------------


def module_path(namespace: str) -> list[str]:
    """Module paths in a node's ``namespace``: ``": MobileNet/stem: ConvBNAct/stem.bn: BatchNorm2d/…"``
    → ``["", "stem", "stem.bn", …]`` (each segment is ``path: class``)."""
    return [segment.split(":", 1)[0].strip() for segment in namespace.split("/")]


def layer_maps(proto: onnx.ModelProto, rows: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Node name → row and output value name → row, for every node whose module path lies inside a
    row of the layer table (the deepest enclosing row wins). Residual adds and the flatten belong to
    no row, as in the eager lab."""
    row_set = set(rows)
    by_node: dict[str, str] = {}
    by_value: dict[str, str] = {}
    for node in proto.graph.node:
        meta = {p.key: p.value for p in node.metadata_props}
        scopes = module_path(meta.get("namespace", ""))
        row = next((scope for scope in reversed(scopes) if scope in row_set), None)
        if row is None:
            continue
        by_node[node.name] = row
        for value in node.output:
            by_value[value] = row
    return by_node, by_value


# --- validation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnnxInfo:
    """What a valid ONNX file holds, for the page and the CLI to show."""

    size_bytes: int
    opset: int
    producer: str
    inputs: tuple[tuple[str, tuple[Any, ...]], ...]
    outputs: tuple[tuple[str, tuple[Any, ...]], ...]
    nodes: int
    parameters: int
    config: MobileNetConfig | None  # the explorer config it was exported from, if it says so
    checksum: str  # "verified": the self-declared SHA-256 matches (SEAL_NOTE); "absent": exported elsewhere


def _shape(value_info: Any) -> tuple[Any, ...]:
    dims = value_info.type.tensor_type.shape.dim
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in dims)


def validate_onnx(source: bytes | bytearray | str | Path) -> OnnxInfo:
    """Check an ONNX file (its bytes or a path) before anything uses it; raise :class:`ArtifactError`.

    In order: size, protobuf parse, weights inline (no external ``.data``), the ONNX checker
    (full check, shape inference included), the explorer's checksum when present (an edited file is
    rejected), the embedded config when present, and finally that ONNX Runtime can load it.
    """
    require("onnxruntime")
    import onnx
    from google.protobuf.message import DecodeError

    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_ONNX_BYTES:
                raise ArtifactError(f"is {path.stat().st_size:,} bytes; at most {MAX_ONNX_BYTES:,} are accepted")
            data = path.read_bytes()
        except OSError as err:
            raise ArtifactError(f"cannot read {path}: {err.strerror or err}") from None
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        raise ArtifactError(f"must be the file's bytes or a path, got {type(source).__name__}")
    if not data:
        raise ArtifactError("is empty")
    if len(data) > MAX_ONNX_BYTES:
        raise ArtifactError(f"is {len(data):,} bytes; at most {MAX_ONNX_BYTES:,} are accepted")
    try:
        proto = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as err:
        raise ArtifactError(f"is not an ONNX model (it does not parse as one: {err})") from None
    if not proto.graph.node or not proto.opset_import:
        raise ArtifactError("is not an ONNX model (no graph or no opset: the bytes parse, but hold no model)")
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
        raise ArtifactError("keeps its weights in a separate .data file; upload a single-file ONNX model "
                            "(this app's downloads are single files)")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError, ValueError, RuntimeError) as err:
        first = first_line(err)
        raise ArtifactError(f"is not a valid ONNX model: {first}") from None
    checksum, config = read_seal(model_metadata(proto), lambda stored: stored == _digest(proto))
    import onnxruntime as ort

    try:
        ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as err:  # noqa: BLE001 - ORT raises its own exception types; any of them means "cannot load"
        first = first_line(err)
        raise ArtifactError(f"cannot be loaded by ONNX Runtime: {first}") from None
    initializer_names = {t.name for t in proto.graph.initializer}
    return OnnxInfo(
        size_bytes=len(data),
        opset=max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=0),
        producer=f"{proto.producer_name} {proto.producer_version}".strip(),
        inputs=tuple((v.name, _shape(v)) for v in proto.graph.input if v.name not in initializer_names),
        outputs=tuple((v.name, _shape(v)) for v in proto.graph.output),
        nodes=len(proto.graph.node),
        parameters=sum(int(_numel(t.dims)) for t in proto.graph.initializer),
        config=config,
        checksum=checksum,
    )


def _numel(dims: Sequence[int]) -> int:
    n = 1
    for d in dims:
        n *= d
    return n
