"""The explorer's seal on the model files it exports (``.onnx``, ``.tflite``), and what an invalid
file raises.

Each format has its own metadata table (ONNX ``metadata_props``, TFLite's ``metadata`` buffers);
the explorer writes the same two entries into it: ``explorer.config`` (the config, schema-v1
JSON) and ``explorer.sha256``, a digest of the file's content. How the digest is taken is the
format's business (:mod:`.onnx_export`, :mod:`.tflite_file`); reading the seal back is one rule
for both, :func:`read_seal`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..config import ConfigError, MobileNetConfig, loads_config

CHECKSUM_KEY = "explorer.sha256"
CONFIG_KEY = "explorer.config"
# What a matching checksum means, in the words a page shows: the digest travels inside the file,
# so it shows edits and damage, not who made the file (anyone can write config and digest anew).
SEAL_NOTE = "its self-declared SHA-256 matches its content (this shows edits and damage, not who made it)"


class ArtifactError(ValueError):
    """An invalid model file (upload or export). ``field`` is ``file``; the message says what is wrong."""

    def __init__(self, reason: str, field: str = "file"):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self):  # pickled by its fields, as ConfigError
        return type(self), (self.reason, self.field)


def read_seal(meta: Mapping[str, str], checksum_matches: Callable[[str], bool]) -> tuple[str, MobileNetConfig | None]:
    """``(checksum, config)`` of a file whose metadata table is ``meta`` (entries as text).

    ``checksum`` is ``"verified"`` when the file's checksum entry matches its content
    (``checksum_matches(entry)``), ``"absent"`` when it has none (converted elsewhere); ``config``
    is the config it carries, or None. Raises :class:`ArtifactError` for a file changed after it
    was sealed, or one whose config is invalid.
    """
    checksum = "absent"
    if CHECKSUM_KEY in meta:
        if not checksum_matches(meta[CHECKSUM_KEY]):
            raise ArtifactError("was modified after it was exported: its content no longer matches the checksum "
                                f"stored in it ({CHECKSUM_KEY}); export it again")
        checksum = "verified"
    config = None
    if CONFIG_KEY in meta:
        try:
            config = loads_config(meta[CONFIG_KEY])
        except ConfigError as err:
            raise ArtifactError(f"carries an invalid explorer config: {err}") from None
    return checksum, config
