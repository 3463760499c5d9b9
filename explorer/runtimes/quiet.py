"""Silencing the exporters' chatter (torchvision op registration, pytree deprecations) that would
otherwise land on the CLI's stderr for every export; real errors still raise."""

from __future__ import annotations

from typing import Any


def quiet_export() -> Any:
    """Silence the exporters' chatter (torchvision op registration, pytree deprecations) that would
    otherwise land on the CLI's stderr for every export; real errors still raise."""
    import contextlib
    import logging
    import warnings

    @contextlib.contextmanager
    def context():
        loggers = [logging.getLogger(name) for name in ("torch.onnx._internal.exporter._registration", "torch.onnx")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)

    return context()
