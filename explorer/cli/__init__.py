"""Command line: ``python -m explorer profile|sweep|validate|latency|export|predict ...``.

JSON goes to stdout, errors to stderr. Any invalid input exits with code 2 and one line naming
the file and field; no traceback reaches the user. Counting is analytic, so ``profile`` and
``sweep`` never import torch and a 1,000-config sweep takes about a second; only
``profile --latency`` and ``sweep --latency`` build and time models (torch is imported there, on demand).

One module a job: :mod:`.parser` (the grammar and the combinations it checks), :mod:`.arguments`
(arguments → configs and settings), :mod:`.commands` and :mod:`.sweep_command` (what each
subcommand does), :mod:`.formatters` (tables, text and JSON). :func:`main` maps errors to exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..lock import LockTimeout
from ..runtimes.names import RuntimeFailure, RuntimeUnavailable
from .arguments import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, UsageError
from .parser import parse_args

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)  # argparse itself exits 2 with a usage line on bad flags
    try:
        return args.func(args)
    except (UsageError, RuntimeUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except RuntimeFailure as err:  # exported or checked and found wrong: reported, never timed
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except LockTimeout as err:  # the message names the lock and who holds it
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:  # a measurement is stored only once finished: nothing half-stored to clean up
        print("interrupted: the measurement in progress was abandoned and nothing of it was stored", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0
