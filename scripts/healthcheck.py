"""Container health probe: `python healthcheck.py live|ready [SERVICE]`.

Asks the service running in this container for /health/live or /health/ready on
its own port (read from the service's settings, so `<SERVICE>_PORT` is honoured)
and exits 0 on HTTP 200, 1 otherwise. Without SERVICE it finds the service on the
command line of PID 1 (`marketplace run SERVICE ...`), so one Dockerfile
HEALTHCHECK serves every service. Uses only the standard library and the installed
project: the image has no curl.
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path


def service_from_command(args: list[str]) -> str | None:
    """SERVICE in `[docker-init --] marketplace run SERVICE ...`."""
    for i, arg in enumerate(args[:-1]):
        if arg == "run":
            return args[i + 1]
    return None


def service_from_pid1() -> str | None:
    try:
        args = Path("/proc/1/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return None
    return service_from_command(args)


def main(argv: list[str]) -> int:
    kind = argv[0] if argv else "live"
    if kind not in ("live", "ready"):
        print("usage: healthcheck.py live|ready [SERVICE]", file=sys.stderr)
        return 2
    service = argv[1] if len(argv) > 1 else service_from_pid1()
    if service is None:
        print("healthcheck: no `marketplace run SERVICE` process in this container", file=sys.stderr)
        return 1
    from ops.services import definition

    port = definition(service).settings_cls().port
    url = f"http://127.0.0.1:{port}/health/{kind}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
