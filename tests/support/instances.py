"""Infrastructure of a test's own, to crash and restart at will: a PostgreSQL cluster and
RabbitMQ nodes (one, or a cluster of three) on free ports, with their data and logs in the
test's work directory, started and stopped by the test and never the shared ones on 5432 and
5672 (those the rest of the suite uses are never stopped, killed or reconfigured).

    PostgresInstance   initdb + pg_ctl on a free port (TCP on 127.0.0.1 only, trust auth, no
                       Unix socket); stop(mode="fast") / start() / restart(); migrated for every
                       service with `migrated()`, as the suite's session fixture migrates the
                       shared database
    RabbitNode         one `rabbitmq-server` with its own node name, AMQP and distribution
                       ports, data (mnesia), logs, pid file, plugins (none) and config; an Erlang
                       cookie of the test's own (its own $HOME), so no command here can reach the
                       shared node; kill() is a SIGKILL of the Erlang VM, not `stop_app`
    RabbitCluster      three RabbitNodes forming one cluster (the first started alone, the two
                       others joining it at boot through classic peer discovery); the leader
                       of a quorum queue, and the AMQP URLs of every node

Every instance is a context manager: leaving the block stops it whatever happened (a SIGKILL
of what it started, by process id, if stopping cleanly fails).

What the machine needs: PostgreSQL's server binaries (`initdb`, `pg_ctl`: the newest
/usr/lib/postgresql/<version>/bin, else on PATH) and RabbitMQ's scripts (`rabbitmq-server`,
`rabbitmqctl`: /usr/lib/rabbitmq/bin on Debian, whose /usr/sbin wrappers would switch to the
`rabbitmq` user and the shared node's log files, else on PATH) with Erlang. PostgreSQL refuses
to run as root: as root, the cluster runs as the `postgres` user and its data directory is a
directory of that user's under the system's temporary directory (the test's work directory is
private to root), linked from the work directory and removed on stop.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.harness import free_port

# --- PostgreSQL ------------------------------------------------------------------------------------


def _pg_bindir() -> Path:
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")


class PostgresInstance:
    """A PostgreSQL cluster of the test's own on 127.0.0.1:<port>."""

    def __init__(self, workdir: Path, name: str = "pg") -> None:
        self.port = free_port()
        self.bindir = _pg_bindir()
        link = self._link = workdir / f"{name}-{self.port}"
        self._user: str | None = None
        self._private: Path | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            owner = pwd.getpwnam(self._user)
            self._private = Path(tempfile.mkdtemp(prefix=f"market-{name}-{self.port}-"))
            os.chown(self._private, owner.pw_uid, owner.pw_gid)
            link.symlink_to(self._private, target_is_directory=True)
            self.dir = self._private
        else:
            link.mkdir(parents=True)
            self.dir = link
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.restarts = 0

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self._user,
            cwd=self.dir,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} exited {done.returncode}: {done.stderr}{self.logs()}")
        return done

    def start(self) -> PostgresInstance:
        if not self.data.exists():
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8" if _has_locale("C.UTF-8") else "--locale=C",
                "--no-sync",
            )
        options = " ".join(
            f"-c {k}={v}"
            for k, v in {
                "port": self.port,
                "listen_addresses": "127.0.0.1",
                "unix_socket_directories": "''",
                "max_connections": 200,
                "shared_buffers": "32MB",
                # The faults here are restarts of PostgreSQL, not of the machine: what a client
                # sees of a fast shutdown does not depend on fsync, and the disk stays quiet.
                "fsync": "off",
                "full_page_writes": "off",
            }.items()
        )
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop -m <mode>: `fast` rolls back open transactions and disconnects every
        client, `immediate` is a crash (recovery at the next start)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def restart(self, down_s: float = 0.0, mode: str = "fast") -> float:
        """Stop (`mode`), stay down `down_s`, start; the seconds it did not answer."""
        started = time.monotonic()
        self.stop(mode)
        time.sleep(down_s)
        self.start()
        self.restarts += 1
        return time.monotonic() - started

    def is_running(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True
        return False

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def close(self) -> None:
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.SubprocessError):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        if self._private is not None:
            # Keep the server's log beside the test's others, then remove the cluster.
            with contextlib.suppress(OSError):
                self._link.unlink()
                self._link.mkdir()
                if self.log.exists():
                    shutil.copy(self.log, self._link / self.log.name)
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    def __enter__(self) -> PostgresInstance:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has_locale(name: str) -> bool:
    if not shutil.which("locale"):
        return False
    done = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return name.lower().replace("-", "") in done.stdout.lower().replace("-", "")


async def migrated(services: tuple[str, ...], **overrides: Any) -> dict[str, Any]:
    """Every service's settings with `overrides` (pg_host, pg_port, pg_admin_dsn, amqp_url...),
    its schema and roles migrated: what tests/conftest.py's services_db does on the shared
    database, here on an instance of the test's own."""
    from ops.services import definition
    from shared.migrate import migrate

    settings = {}
    for name in services:
        service = definition(name)
        settings[name] = service.settings_cls(**overrides)
        await migrate(settings[name], service.migrations)
    return settings


# --- RabbitMQ ---------------------------------------------------------------------------------------


def _rabbit_script(name: str) -> str:
    # Debian's /usr/sbin/rabbitmq-* are wrappers that switch to the `rabbitmq` user and write
    # the shared node's log files; the scripts they call take the environment as it is.
    debian = Path("/usr/lib/rabbitmq/bin") / name
    if debian.exists():
        return str(debian)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"RabbitMQ's {name} is not installed")
    return found


class RabbitNode:
    """One RabbitMQ node of the test's own: `<name>@localhost`, AMQP on 127.0.0.1:<port>."""

    def __init__(
        self,
        workdir: Path,
        name: str,
        home: Path,
        join: str | None = None,
    ) -> None:
        self.short = name
        self.node = f"{name}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.dir = workdir / f"rabbit-{name}"
        self.home = home
        self.join = join
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "env.conf").write_text("")  # not the machine's rabbitmq-env.conf
        config = [
            f"listeners.tcp.local = 127.0.0.1:{self.port}",
            "loopback_users = none",
            "disk_free_limit.absolute = 50MB",
            "vm_memory_high_watermark.relative = 0.2",
        ]
        if join:
            config += [
                "cluster_formation.peer_discovery_backend = classic_config",
                f"cluster_formation.classic_config.nodes.1 = {join}",
            ]
        (self.dir / "rabbitmq.conf").write_text("\n".join(config) + "\n")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args: str, timeout: float = 180, check: bool = True, tool: str = "rabbitmqctl") -> str:
        """rabbitmqctl (or another of RabbitMQ's CLI tools) -n <this node> ARGS, with this
        node's cookie; its output. Each is an Erlang VM of its own: slow on a busy machine."""
        done = subprocess.run(
            [_rabbit_script(tool), "-q", "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.node}: {done.stderr or done.stdout}")
        return done.stdout

    def launch(self) -> RabbitNode:
        """Start the node's process (not waiting for it to boot)."""
        log = open(self.dir / "server.out", "ab")  # noqa: SIM115 — closed when the process ends
        self.proc = subprocess.Popen(
            [_rabbit_script("rabbitmq-server")],
            env=self.env,
            cwd=self.dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def wait_booted(self, timeout_s: float = 300) -> RabbitNode:
        """Until the node takes AMQP connections and says it has booted. The port is watched
        first: each rabbitmqctl is an Erlang VM of its own, dear on a busy machine."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.node} exited {self.proc.returncode}:\n{self.logs()}")
            if not self.accepts():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.node} did not boot within {timeout_s}s:\n{self.logs()}")
                time.sleep(0.2)
                continue
            done = subprocess.run(
                [_rabbit_script("rabbitmqctl"), "-q", "-n", self.node, "await_startup", "--timeout", "30"],
                env=self.env,
                capture_output=True,
                timeout=180,
            )
            if done.returncode == 0:
                return self
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.node} did not boot within {timeout_s}s:\n{self.logs()}")
            time.sleep(0.5)

    def start(self, timeout_s: float = 300) -> RabbitNode:
        return self.launch().wait_booted(timeout_s)

    def accepts(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True
        return False

    def beam_pid(self) -> int:
        return int((self.dir / "pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM: no goodbye to clients or to the other nodes."""
        os.kill(self.beam_pid(), signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(30)
        self.kills += 1

    def stop(self) -> None:
        """A clean shutdown of the node (the VM exits); SIGKILL if that fails."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.ctl("shutdown", timeout=90)
            self.proc.wait(30)
        except (RuntimeError, subprocess.SubprocessError):
            self._kill_group()

    def _kill_group(self) -> None:
        # The node's own session (start_new_session): the launcher script, the Erlang VM and
        # its helpers, and nothing else.
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, OSError, ValueError):
            os.kill(self.beam_pid(), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.SubprocessError):
            self.proc.wait(10)

    def logs(self) -> str:
        texts = []
        for path in (self.dir / "server.out", self.dir / "log" / f"{self.node}.log"):
            if path.exists():
                texts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(texts)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._kill_group()

    def __enter__(self) -> RabbitNode:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


def erlang_home(workdir: Path) -> Path:
    """A $HOME with an Erlang cookie of the test's own: its nodes and the rabbitmqctl that
    talks to them share it, the shared node (another cookie) is out of their reach."""
    home = workdir / "erlang-home"
    home.mkdir(parents=True, exist_ok=True)
    cookie = home / ".erlang.cookie"
    if not cookie.exists():
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)
    return home


def rabbit_node(workdir: Path, name: str | None = None) -> RabbitNode:
    return RabbitNode(workdir, name or f"crash{secrets.token_hex(3)}", erlang_home(workdir))


class RabbitCluster:
    """Three nodes of one RabbitMQ cluster on this machine."""

    def __init__(self, workdir: Path, size: int = 3) -> None:
        home = erlang_home(workdir)
        stem = f"crash{secrets.token_hex(3)}"
        first = RabbitNode(workdir, f"{stem}a", home)
        self.nodes = [first] + [
            RabbitNode(workdir, f"{stem}{chr(ord('a') + i)}", home, join=first.node) for i in range(1, size)
        ]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self) -> RabbitCluster:
        self.nodes[0].start()
        for node in self.nodes[1:]:
            node.launch()
        for node in self.nodes[1:]:
            node.wait_booted()
        running = self.running_nodes()
        wanted = {node.node for node in self.nodes}
        if set(running) != wanted:
            raise RuntimeError(f"the cluster formed with {running}, not {sorted(wanted)}")
        return self

    def any_up(self) -> RabbitNode:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None and node.accepts():
                return node
        raise RuntimeError("no node of the cluster is up")

    def running_nodes(self) -> list[str]:
        import json

        status = json.loads(self.any_up().ctl("cluster_status", "--formatter", "json"))
        return sorted(status.get("running_nodes", []))

    def node(self, name: str) -> RabbitNode:
        for node in self.nodes:
            if node.node == name:
                return node
        raise RuntimeError(f"{name!r} is not a node of this cluster")

    def queue_leader(self, queue: str) -> RabbitNode:
        """The node leading a quorum queue (its Raft leader), as a live node of the cluster
        reports it (`rabbitmq-queues quorum_status`: that queue alone, cheaper than listing
        every queue); RuntimeError while there is none (an election under way)."""
        import json

        members = json.loads(
            self.any_up().ctl("quorum_status", queue, "--formatter", "json", tool="rabbitmq-queues")
        )
        leaders = [m["Node Name"] for m in members if m.get("Raft State") == "leader"]
        if len(leaders) != 1:
            raise RuntimeError(f"{queue} has no single leader: {members}")
        return self.node(leaders[0])

    def elected_at(self, queue: str, since: datetime) -> datetime | None:
        """When a node's own log says it became the leader of `queue` after `since` (the
        server's clock, finer than asking through the CLI on a busy machine); None if none has."""
        pattern = re.compile(
            r"^(\S+ \S+) \[notice\] \S+ queue '"
            + re.escape(queue)
            + r"' in vhost '[^']*': candidate -> leader"
        )
        times = []
        for node in self.nodes:
            path = node.dir / "log" / f"{node.node}.log"
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                match = pattern.match(line)
                if match:
                    with contextlib.suppress(ValueError):
                        moment = datetime.fromisoformat(match.group(1))
                        if moment > since:
                            times.append(moment)
        return min(times) if times else None

    def close(self) -> None:
        # The joiners first: the first node then leaves last, as a cluster prefers.
        for node in reversed(self.nodes):
            with contextlib.suppress(Exception):
                node.close()

    def __enter__(self) -> RabbitCluster:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def all_stopped(*instances: Any) -> Iterator[None]:
    """Close every instance on leaving, whatever happens to any of them."""
    try:
        yield
    finally:
        for instance in reversed(instances):
            with contextlib.suppress(Exception):
                instance.close()


__all__ = [
    "PostgresInstance",
    "RabbitCluster",
    "RabbitNode",
    "all_stopped",
    "erlang_home",
    "migrated",
    "rabbit_node",
]
