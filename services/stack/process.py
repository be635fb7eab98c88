"""Background processes that outlive the command that started them.

Each server runs in its own session (``start_new_session=True``) so that Ctrl-C in the shell
that ran ``claimflow stack up`` does not take the servers down with it, and so that ``stop``
can signal the whole process group (a launcher and anything it spawned) at once.

Bookkeeping lives under the state dir: ``pids/<name>.pid`` and ``logs/<name>.log``. The pid
file records the process's start time as well as its pid, because a pid left behind by a
crashed server can be reused by an unrelated process; a pid file whose process is gone (or is
someone else) is stale and is removed when read.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

# Popen objects of servers started by this Python process. Holding them lets ``is_running``
# reap a child that died (a killed child stays a zombie, which ``kill(pid, 0)`` still sees,
# until its parent waits for it) and keeps Popen's destructor from warning about it.
_children: dict[int, subprocess.Popen[bytes]] = {}


class StackError(RuntimeError):
    """A component of the local stack could not be started, stopped or checked.

    The message is meant for a person: it names what is wrong and how to fix it.
    """


def pid_file(state_dir: Path, name: str) -> Path:
    return state_dir / "pids" / f"{name}.pid"


def log_file(state_dir: Path, name: str) -> Path:
    return state_dir / "logs" / f"{name}.log"


@contextlib.contextmanager
def locked(state_dir: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on ``name`` in this state dir (blocking) for check-then-start.

    Two ``up`` calls at once on one state dir (parallel test sessions sharing a stack) would
    otherwise both see "not running" and start two servers on one port; with the lock the
    second waits and then finds the first one's server running.
    """
    path = state_dir / "pids" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _stat(path: Path) -> tuple[str, str] | None:
    """(state, start time) from a /proc stat file, None if it is gone."""
    try:
        stat = path.read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces; split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None if it is gone.

    A zombie counts as gone (it has exited and only waits to be reaped), but only once all
    its threads are: the main thread of a killed multi-threaded server (Go, the JVM) turns
    zombie before the others have exited and released its sockets.
    """
    leader = _stat(Path(f"/proc/{pid}/stat"))
    if leader is None:
        return None
    if leader[0] not in ("Z", "X"):
        return leader[1]
    for task in Path(f"/proc/{pid}/task").glob("*/stat"):
        thread = _stat(task)
        if thread is not None and thread[0] not in ("Z", "X"):
            return leader[1]
    return None


def start(
    state_dir: Path,
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``argv`` detached, its stdout and stderr appended to the component's log.

    The log is appended to, not truncated, so the reason a previous run died survives a
    restart. Returns the pid, which is also the process group id.
    """
    if is_running(state_dir, name):
        raise StackError(f"{name} is already running (pid file {pid_file(state_dir, name)})")
    log = log_file(state_dir, name)
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file(state_dir, name).parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        out.write(f"\n=== {stamp} starting {name}: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if env is None else dict(env),
            cwd=cwd,
        )
    _children[proc.pid] = proc
    started = _start_time(proc.pid) or ""
    tmp = pid_file(state_dir, name).with_suffix(".tmp")
    tmp.write_text(f"{proc.pid}\n{started}\n")
    tmp.replace(pid_file(state_dir, name))
    return proc.pid


def register(state_dir: Path, name: str) -> None:
    """Record the calling process under ``name``, as ``start`` records a child.

    For a foreground process that others must be able to find and stop (``make run``'s
    parent, which ``make down`` stops); ``unregister`` removes the record on the way out.
    """
    path = pid_file(state_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()}\n{_start_time(os.getpid()) or ''}\n")
    tmp.replace(path)


def unregister(state_dir: Path, name: str) -> None:
    if read_pid(state_dir, name) == os.getpid():
        pid_file(state_dir, name).unlink(missing_ok=True)


def read_pid(state_dir: Path, name: str) -> int | None:
    """The pid of the running ``name``, or None; a stale pid file is deleted."""
    path = pid_file(state_dir, name)
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        return None
    pid = int(lines[0]) if lines and lines[0].isdigit() else None
    recorded = lines[1] if len(lines) > 1 else None
    if pid is not None:
        started = _start_time(pid)
        if started is not None and (recorded is None or started == recorded):
            return pid
        child = _children.pop(pid, None)
        if child is not None:  # our own child: reap the zombie
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=1.0)
    path.unlink(missing_ok=True)
    return None


def is_running(state_dir: Path, name: str) -> bool:
    return read_pid(state_dir, name) is not None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _wait_gone(state_dir: Path, name: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(state_dir, name):
            return True
        time.sleep(0.05)
    return not is_running(state_dir, name)


def _signal_one(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def stop(state_dir: Path, name: str, timeout: float = 15.0, *, group: bool = True) -> bool:
    """SIGTERM the process group, SIGKILL it if it has not exited after ``timeout`` seconds.

    A graceful stop first lets Kafka close its logs cleanly (no recovery on the next start)
    and lets Temporal checkpoint its SQLite WAL. Returns False if nothing was running.
    ``group=False`` signals the process alone: for a ``register``-ed foreground process,
    whose group is the shell's.
    """
    pid = read_pid(state_dir, name)
    if pid is None:
        return False
    send = _signal_group if group else _signal_one
    send(pid, signal.SIGTERM)
    if not _wait_gone(state_dir, name, timeout):
        send(pid, signal.SIGKILL)
        if not _wait_gone(state_dir, name, 5.0):
            raise StackError(f"{name} (pid {pid}) did not exit after SIGKILL")
    pid_file(state_dir, name).unlink(missing_ok=True)
    return True


def kill(state_dir: Path, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group and, for SIGKILL, wait until it is gone.

    For tests that prove durability: a crash, not a clean shutdown. The pid file is left for
    ``read_pid`` to find stale, just as after a real crash.
    """
    pid = read_pid(state_dir, name)
    if pid is None:
        raise StackError(f"{name} is not running")
    _signal_group(pid, sig)
    if sig == signal.SIGKILL and not _wait_gone(state_dir, name, 5.0):
        raise StackError(f"{name} (pid {pid}) did not exit after SIGKILL")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Block until something accepts TCP connections on ``host:port``."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise StackError(f"nothing is listening on {host}:{port} after {timeout:.0f}s")
        time.sleep(0.05)


def log_tail(state_dir: Path, name: str, lines: int = 20) -> str:
    try:
        text = log_file(state_dir, name).read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_ready(
    state_dir: Path, name: str, ready: Callable[[], bool], timeout: float, what: str
) -> None:
    """Poll ``ready`` until it is true, failing fast (with the log's tail) if the server dies.

    Without the liveness check a server that exits at once (a port in use, a bad config)
    would cost the whole timeout and then report only "not ready".
    """
    deadline = time.monotonic() + timeout
    while True:
        if not is_running(state_dir, name):
            raise StackError(
                f"{name} exited during start-up; last lines of {log_file(state_dir, name)}:\n"
                + log_tail(state_dir, name)
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise StackError(
                f"{name} did not become ready ({what}) within {timeout:.0f}s; "
                f"see {log_file(state_dir, name)}"
            )
        time.sleep(0.1)


def ensure_port_free(host: str, port: int, name: str, setting: str) -> None:
    """Refuse to start a server whose port is held by something this state dir did not start.

    Otherwise the new server would die with "address in use" and the health check would
    happily report the stranger as healthy. The port must stay taken for a moment, so a
    server still on its way out (e.g. killed by another process just before) is not
    mistaken for a stranger.
    """
    deadline = time.monotonic() + 1.0
    while port_open(host, port):
        if time.monotonic() > deadline:
            raise StackError(
                f"cannot start {name}: {host}:{port} is already in use by another process "
                f"(not started from this state dir). Stop it, or choose another port with "
                f"CLAIMFLOW_{setting.upper()}."
            )
        time.sleep(0.1)
