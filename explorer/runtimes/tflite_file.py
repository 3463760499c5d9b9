"""``.tflite`` files: the explorer's seal (config and checksum in the file's metadata) and the
validation of a ``.tflite`` file before anything uses it.

A TFLite model is a flatbuffer (``TFL3``) with a ``metadata`` list of named buffers, the standard
place for what a file says about itself (TFLite's own ``min_runtime_version`` lives there). The
explorer adds two entries to the files it exports: ``explorer.config`` (the config, schema-v1
JSON) and ``explorer.sha256``, a SHA-256 of the whole file with the digest's own 64 bytes set to a
fixed placeholder, so an edited copy (a flipped weight byte loads and runs, it just computes
something else) is recognised. The metadata is rewritten with the schema's object API
(``ai_edge_litert.schema_py_generated``), which keeps every tensor and operator as it was: the
sealed file gives bit-identical outputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import MobileNetConfig
from ..errors import first_line
from .names import require
from .seal import CHECKSUM_KEY, CONFIG_KEY, ArtifactError, read_seal

IDENTIFIER = b"TFL3"
PLACEHOLDER = b"explorer.sha256 placeholder: the file's digest is written here....."[:64]
MAX_TFLITE_BYTES = 1 << 30  # flatbuffers cap at 2 GiB; the largest allowed config is ~400 MB


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def _with_metadata(data: bytes, entries: dict[str, bytes | None]) -> bytes:
    """``data`` with the metadata named in ``entries`` replaced (bytes) or removed (None)."""
    import flatbuffers
    import numpy as np

    s = _schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
    for buffer in model.buffers:
        # ai-edge-quantizer writes constants after the flatbuffer (offset, size from the file's
        # start); repacking moves that end, so bring them inline (fine below flatbuffers' 2 GiB).
        if buffer.offset and buffer.offset > 1:
            buffer.data = np.frombuffer(data[buffer.offset:buffer.offset + buffer.size], dtype=np.uint8)
            buffer.offset = buffer.size = 0
    drop = {i for i, m in enumerate(model.metadata or []) if m.name.decode() in entries}
    dropped_buffers = sorted((model.metadata[i].buffer for i in drop), reverse=True)
    model.metadata = [m for i, m in enumerate(model.metadata or []) if i not in drop]
    for index in dropped_buffers:  # our entries' buffers are the last ones: drop them only there
        if index == len(model.buffers) - 1:
            model.buffers.pop()
    for name, value in entries.items():
        if value is None:
            continue
        buffer = s.BufferT()
        buffer.data = np.frombuffer(value, dtype=np.uint8)
        model.buffers.append(buffer)
        entry = s.MetadataT()
        entry.name, entry.buffer = name, len(model.buffers) - 1
        model.metadata.append(entry)
    builder = flatbuffers.Builder(len(data) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=IDENTIFIER)
    return bytes(builder.Output())


def seal(data: bytes, config: MobileNetConfig) -> bytes:
    """``data`` (a converter's ``.tflite``) with the explorer's config and checksum in its metadata."""
    sealed = _with_metadata(data, {CONFIG_KEY: config.to_json().encode(), CHECKSUM_KEY: PLACEHOLDER})
    where = sealed.index(PLACEHOLDER)
    digest = hashlib.sha256(sealed).hexdigest().encode()  # hashed with the placeholder in place
    return sealed[:where] + digest + sealed[where + len(digest):]


def unsealed(data: bytes) -> bytes:
    """``data`` without the explorer's metadata (the converter's file, for the quantizer)."""
    return _with_metadata(data, {CONFIG_KEY: None, CHECKSUM_KEY: None})


def metadata(data: bytes) -> dict[str, bytes]:
    """The file's metadata entries, name → bytes."""
    s = _schema()
    model = s.Model.GetRootAsModel(data, 0)
    out = {}
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        out[entry.Name().decode()] = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
    return out


def checksum_matches(data: bytes, stored: bytes) -> bool:
    where = data.find(stored)
    if len(stored) != len(PLACEHOLDER) or where < 0:
        return False
    return hashlib.sha256(data[:where] + PLACEHOLDER + data[where + len(stored):]).hexdigest().encode() == stored


# --- validation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TfliteInfo:
    """What a valid ``.tflite`` file holds, for the page and the CLI to show."""

    size_bytes: int
    inputs: tuple[tuple[str, tuple[int, ...], str], ...]  # name, shape, dtype
    outputs: tuple[tuple[str, tuple[int, ...], str], ...]
    operators: int  # in the file (before XNNPACK takes them)
    config: MobileNetConfig | None  # the explorer config it was exported from, if it says so
    checksum: str  # "verified": the self-declared SHA-256 matches (seal.SEAL_NOTE); "absent": converted elsewhere


def _read(source: bytes | bytearray | str | Path) -> bytes:
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_TFLITE_BYTES:
                raise ArtifactError(f"is {path.stat().st_size:,} bytes; at most {MAX_TFLITE_BYTES:,} are accepted")
            return path.read_bytes()
        except OSError as err:
            raise ArtifactError(f"cannot read {path}: {err.strerror or err}") from None
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    raise ArtifactError(f"must be the file's bytes or a path, got {type(source).__name__}")


def validate_tflite(source: bytes | bytearray | str | Path) -> TfliteInfo:
    """Check a ``.tflite`` file (its bytes or a path) before anything uses it; raise :class:`ArtifactError`.

    In order: size, the ``TFL3`` identifier, that LiteRT's interpreter loads it (its flatbuffer
    verifier refuses a truncated or corrupted structure) and allocates its tensors, the explorer's
    checksum when present (an edited file is refused), the embedded config when present.
    """
    require("litert")
    data = _read(source)
    if not data:
        raise ArtifactError("is empty")
    if len(data) > MAX_TFLITE_BYTES:
        raise ArtifactError(f"is {len(data):,} bytes; at most {MAX_TFLITE_BYTES:,} are accepted")
    if len(data) < 8 or data[4:8] != IDENTIFIER:
        raise ArtifactError("is not a TensorFlow Lite model (no TFL3 flatbuffer identifier at bytes 4–8)")
    try:
        it = interpreter(data, 1)
    except Exception as err:  # noqa: BLE001 - the interpreter raises ValueError or RuntimeError; any means "cannot load"
        first = first_line(err)
        raise ArtifactError(f"cannot be loaded by LiteRT (truncated or corrupted?): {first}") from None
    try:
        meta = metadata(data)
    except Exception as err:  # noqa: BLE001 - a damaged metadata table
        raise ArtifactError(f"has an unreadable metadata table: {type(err).__name__}") from None
    as_text = {name: value.decode("utf-8", errors="replace") for name, value in meta.items()}
    checksum, config = read_seal(as_text, lambda stored: checksum_matches(data, stored.encode()))

    def described(details: list[dict]) -> tuple[tuple[str, tuple[int, ...], str], ...]:
        return tuple((d["name"], tuple(int(n) for n in d["shape"]), d["dtype"].__name__) for d in details)

    s = _schema()
    graph = s.Model.GetRootAsModel(data, 0).Subgraphs(0)
    return TfliteInfo(size_bytes=len(data), inputs=described(it.get_input_details()), outputs=described(it.get_output_details()),
                      operators=graph.OperatorsLength(), config=config, checksum=checksum)


# --- loading quietly ----------------------------------------------------------------------------------


def interpreter(data: bytes, threads: int) -> Any:
    """An interpreter on ``data`` with ``threads`` threads (XNNPACK applied), tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    with quiet_native_output():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on every load
        it = Interpreter(model_content=bytes(data), num_threads=int(threads))
        it.allocate_tensors()
    return it


@contextlib.contextmanager
def quiet_native_output() -> Iterator[None]:
    """Keep the converter's and quantizer's progress lines (rich consoles, tqdm bars, C++ INFO logs
    written straight to file descriptors 1 and 2) off the CLI's output. Python's streams are
    flushed first; what was written is dropped (an error's message is in the exception itself).
    Concurrent writers in other threads are muted for those seconds too."""
    try:
        from litert_torch import progress
    except ImportError:  # checking an uploaded file needs only ai-edge-litert
        progress = None
    quiet = progress.console.quiet if progress else None
    if progress:
        progress.console.quiet = True
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no real descriptors (an embedding host): leave them alone
        saved = []
    # Python-level writers (the quantizer's print(), tqdm) go through sys.stdout/sys.stderr, which
    # need not be the descriptors (a test's capture, Streamlit): redirected as well.
    with tempfile.TemporaryFile() as sink, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if saved:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            if saved:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                for fd in saved:
                    os.close(fd)
            if progress:
                progress.console.quiet = quiet
