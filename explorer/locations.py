"""Where the bundled data and the user's data live, in a source checkout and in an installed package.

* **Bundled assets** (the published tables, ``assets/*.csv``) are package data when installed
  (``explorer/assets/``, see pyproject.toml) and the top-level ``assets/`` folder in a checkout.
* **The user's data** (the latency store) goes to ``$MOBILENET_EXPLORER_DATA`` when that variable
  names a folder; else to ``.data/`` in a checkout (git-ignored); else, for an installed package,
  to the per-user data folder of the platform (platformdirs: ``~/.local/share/mobilenet-explorer``
  on Linux), since site-packages is no place to write.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "MOBILENET_EXPLORER_DATA"
APP_NAME = "mobilenet-explorer"
PACKAGE_DIR = Path(__file__).resolve().parent
# A checkout has the project file beside the package; an installed package has not.
CHECKOUT_DIR = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").is_file() else None


def assets_dir() -> Path:
    """The folder of the bundled CSV files."""
    installed = PACKAGE_DIR / "assets"
    return installed if installed.is_dir() or CHECKOUT_DIR is None else CHECKOUT_DIR / "assets"


def data_dir() -> Path:
    """The folder for the user's data (created by whoever writes there)."""
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR])
    if CHECKOUT_DIR is not None:
        return CHECKOUT_DIR / ".data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
