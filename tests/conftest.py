import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


import os  # noqa: E402
import tempfile  # noqa: E402

# Every test (and the app under AppTest) uses a throwaway latency store, never the developer's.
os.environ.setdefault("MOBILENET_EXPLORER_DATA", tempfile.mkdtemp(prefix="explorer-test-data-"))
