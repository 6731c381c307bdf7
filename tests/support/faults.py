"""Fault injection without Docker: what the reliability scenarios do to a running marketplace.

    broker_down()            RabbitMQ's application stopped (`rabbitmqctl stop_app`), always
                             started again (`start_app` + `await_startup`) on the way out
    restart_broker()         stop, wait, start: one broker restart
    FAULT_POINTS             the named points where a service process kills itself with SIGKILL
                             when started with MARKET_FAULT_POINT=<name> (shared.consumer.fault_point)
    terminate_connections()  pg_terminate_backend on a service's (or every service's) PostgreSQL
                             connections, found by application_name `<namespace>.<service>.<role>`
    TcpProxy                 a small TCP proxy on 127.0.0.1, run on a thread of its own, that a
                             service process is pointed at instead of PostgreSQL, RabbitMQ or
                             another service (MARKET_PG_HOST/PORT, MARKET_AMQP_URL,
                             GATEWAY_*_URL): it forwards, adds latency or packet loss (as TCP
                             shows it: a lost segment arrives a retransmission timeout late,
                             holding up what follows), blackholes (holds every byte, answers
                             nothing) or resets connections

The proxy runs its own event loop on its own thread on purpose: the test's loop blocks now and
then (process start-up waits, `rabbitmqctl`), and a proxy on it would stall the services
behind it and turn a test's own pause into a fault nobody asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import asyncpg

from tests.support.broker import rabbitmqctl
from tests.support.harness import free_port

FAULT_POINTS = ("after_commit_before_ack", "after_publish_before_mark", "mid_saga", "after_send_before_mark")


# --- RabbitMQ ------------------------------------------------------------------------------------


def _start_broker() -> None:
    # start_app is idempotent; await_startup waits until the broker takes connections again.
    for attempt in range(3):
        try:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
            return
        except subprocess.SubprocessError:
            if attempt == 2:
                raise
            time.sleep(2)


@contextlib.asynccontextmanager
async def broker_down() -> AsyncIterator[None]:
    """RabbitMQ stopped for the body of the block; started again whatever happens."""
    try:
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        yield
    finally:
        await asyncio.to_thread(_start_broker)


async def restart_broker(down_s: float) -> float:
    """Stop the broker for `down_s` seconds, start it again; the seconds it was really down."""
    started = time.monotonic()
    async with broker_down():
        await asyncio.sleep(down_s)
    return time.monotonic() - started


# --- PostgreSQL ----------------------------------------------------------------------------------


async def service_connections(
    admin: asyncpg.Connection, namespace: str, service: str | None = None
) -> list[asyncpg.Record]:
    """The backends of a service's processes (every service's when None), by application_name."""
    pattern = f"{namespace}.{service}.%" if service else f"{namespace}.%"
    return await admin.fetch(
        "SELECT pid, application_name, state FROM pg_stat_activity "
        "WHERE application_name LIKE $1 AND pid <> pg_backend_pid()",
        pattern,
    )


async def terminate_connections(
    admin: asyncpg.Connection, namespace: str, service: str | None = None, role: str | None = None
) -> int:
    """pg_terminate_backend on the service's connections (a role of them: app, relay,
    payments); how many were terminated."""
    if service and role:
        pattern = f"{namespace}.{service}.{role}"
    elif service:
        pattern = f"{namespace}.{service}.%"
    else:
        pattern = f"{namespace}.%"
    return await admin.fetchval(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name LIKE $1 AND pid <> pg_backend_pid()",
        pattern,
    )


# --- a TCP proxy ---------------------------------------------------------------------------------

# Linux's smallest retransmission timeout (TCP_RTO_MIN): a lost segment is sent again no sooner.
RETRANSMISSION_TIMEOUT_S = 0.2


@dataclass
class ProxyStats:
    connections: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    resets: int = 0
    lost: int = 0  # chunks "lost" and delivered a retransmission timeout (or several) late


@dataclass(eq=False)
class _Pipe:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class TcpProxy:
    """127.0.0.1:<port> → target_host:target_port, with faults switched on and off at will.

    Modes (set from any thread):
        forward    pass bytes both ways (after `latency_s`, each direction, order kept); with
                   `loss`, each chunk is lost with that probability and comes a retransmission
                   timeout later (200 ms, doubling while it keeps being lost), the chunks behind
                   it waiting: what packet loss is to an application over TCP (nothing vanishes,
                   the stream stalls)
        blackhole  accept connections and read what comes, but forward and answer nothing:
                   like a network partition where packets vanish
        reset      abort every open connection with a TCP RST, and each new one as it arrives
    """

    def __init__(self, target_host: str, target_port: int, name: str = "proxy") -> None:
        self.target = (target_host, target_port)
        self.name = name
        self.port = free_port()
        self.latency_s = 0.0
        self.loss = 0.0
        self.mode = "forward"
        self.stats = ProxyStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._pipes: set[_Pipe] = set()
        self._ready = threading.Event()

    # --- control (thread-safe) ---

    def start(self) -> TcpProxy:
        self._thread = threading.Thread(target=self._run, name=f"tcp-proxy-{self.name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{self.name}: proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def forward(self, latency_s: float = 0.0, loss: float = 0.0) -> None:
        self.latency_s = latency_s
        self.loss = loss
        self.mode = "forward"

    def blackhole(self) -> None:
        self.mode = "blackhole"

    def reset(self) -> int:
        """Reset every open connection (RST) and each new one until `forward()`; how many
        were open."""
        self.mode = "reset"
        return self._call(self._reset_all())

    def reset_once(self) -> int:
        """Reset every open connection now, then carry on forwarding new ones."""
        count = self._call(self._reset_all())
        return count

    @property
    def url_host_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the loop ---

    def _call(self, coro):  # type: ignore[no-untyped-def]
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", self.port))
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._reset_all()

    async def _reset_all(self) -> int:
        pipes = list(self._pipes)
        for pipe in pipes:
            self._abort(pipe)
        return len(pipes)

    def _abort(self, pipe: _Pipe) -> None:
        self.stats.resets += 1
        for writer in (pipe.client, pipe.upstream):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    # Linger 0: close sends RST, not FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in pipe.tasks:
            task.cancel()
        self._pipes.discard(pipe)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        pipe = _Pipe(writer)
        self._pipes.add(pipe)
        if self.mode == "reset":
            self._abort(pipe)
            return
        try:
            if self.mode == "blackhole":
                await self._swallow(reader, pipe)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
            except OSError:
                self._abort(pipe)
                return
            pipe.upstream = up_writer
            pipe.tasks = [
                asyncio.create_task(self._pump(reader, up_writer, pipe, "up")),
                asyncio.create_task(self._pump(up_reader, writer, pipe, "down")),
            ]
            await asyncio.gather(*pipe.tasks, return_exceptions=True)
        finally:
            if pipe in self._pipes:
                self._pipes.discard(pipe)
                for w in (pipe.client, pipe.upstream):
                    if w is not None:
                        w.close()

    async def _swallow(self, reader: asyncio.StreamReader, pipe: _Pipe) -> None:
        task = asyncio.current_task()
        assert task is not None
        pipe.tasks = [task]
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            while await reader.read(65536):
                pass

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pipe: _Pipe, direction: str
    ) -> None:
        """Copy one direction. With latency, chunks are delivered `latency_s` after they were
        read, in order, without holding up the reading of the next ones.

        A side that resets (a process killed with its connection open, say) has the other side
        reset at once too, as its own kernel would have told it directly: left half-open, a
        broker would keep a killed consumer's unacknowledged messages until its heartbeat
        timeout, and PostgreSQL a killed process's backends for good."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            try:
                while True:
                    due, chunk = await queue.get()
                    if not chunk:
                        with contextlib.suppress(OSError):
                            writer.write_eof()
                        return
                    delay = due - asyncio.get_running_loop().time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    rto = RETRANSMISSION_TIMEOUT_S
                    while self.loss and random.random() < self.loss:
                        self.stats.lost += 1
                        await asyncio.sleep(rto)  # resent after the timeout, itself maybe lost
                        rto *= 2
                    while self.mode == "blackhole":
                        await asyncio.sleep(0.05)  # held, as if lost, until the partition heals
                    writer.write(chunk)
                    await writer.drain()
            except (ConnectionError, OSError):
                self._abort(pipe)  # the receiving side is gone: the sending side is reset too

        sender = asyncio.create_task(deliver())
        try:
            while True:
                chunk = await reader.read(65536)
                if direction == "up":
                    self.stats.bytes_up += len(chunk)
                else:
                    self.stats.bytes_down += len(chunk)
                queue.put_nowait((asyncio.get_running_loop().time() + self.latency_s, chunk))
                if not chunk:
                    break
            await sender
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            self._abort(pipe)  # this side reset: so is the other
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender


@contextlib.contextmanager
def proxies(**targets: tuple[str, int]) -> Iterator[dict[str, TcpProxy]]:
    """Several proxies at once, by name; all stopped on the way out."""
    started: dict[str, TcpProxy] = {}
    try:
        for name, (host, port) in targets.items():
            started[name] = TcpProxy(host, port, name).start()
        yield started
    finally:
        for proxy in started.values():
            proxy.stop()
