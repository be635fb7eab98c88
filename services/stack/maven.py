"""Java artifacts from Maven Central, resolved once and kept under ``.state/``.

The Kafka broker's jars and the test suite's second X12 reader come from Maven Central
through poms under ``deploy/``. Each is resolved (and, for a harness, compiled) once into
``<root>/<hash of its inputs>/``, shared by every state dir, because doing it per test run
would cost seconds and disk. Work happens in a scratch dir renamed into place only after it
succeeded, under a lock that keeps parallel sessions from doing it twice; so a directory
with the marker file is always complete, and a changed pom or source gets a new directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from services.stack import process

COMPLETE_MARKER = ".complete"


def tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise process.StackError(f"{name} not found on PATH: {install_hint}")
    return path


def digest(inputs: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in inputs:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def built_once(target: Path, build: Callable[[Path], None]) -> Path:
    """``target``, made by ``build(scratch)`` unless a previous run already made it."""
    if (target / COMPLETE_MARKER).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / COMPLETE_MARKER).exists():
            return target
        scratch = target.with_name(target.name + ".partial")
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        scratch.mkdir(parents=True)
        build(scratch)
        (scratch / COMPLETE_MARKER).write_text("")
        scratch.rename(target)
    return target


def _run(argv: list[str], failure: str) -> None:
    result = subprocess.run(
        argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise process.StackError(f"{failure} (exit {result.returncode})\n{tail}")


def resolve(pom: Path, root: Path, *, expect: str, what: str) -> Path:
    """The jars of ``pom``'s dependencies in ``root/<hash of the pom>/``; ``expect`` is a
    glob one of them must match (Maven can succeed and copy nothing)."""

    def build(scratch: Path) -> None:
        mvn = tool("mvn", "install Maven (apt-get install -y maven)")
        _run(
            [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
             f"-DoutputDirectory={scratch}"],
            f"Maven could not resolve {what} from {pom}; is Maven Central reachable?",
        )  # fmt: skip
        if not any(scratch.glob(expect)):
            raise process.StackError(f"Maven ran but put no {expect} in {scratch}")

    return built_once(root / digest([pom]), build)


def compile_java(source: Path, libs: Path, root: Path) -> Path:
    """``source`` compiled against the jars in ``libs``, in ``root/<hash>/``: a classpath
    directory for ``java -cp``."""

    def build(scratch: Path) -> None:
        javac = tool("javac", "install a Java 17 JDK (apt-get install -y openjdk-17-jdk-headless)")
        _run(
            [javac, "-encoding", "UTF-8", "-cp", f"{libs}/*", "-d", str(scratch), str(source)],
            f"javac could not compile {source}",
        )

    return built_once(root / f"classes-{digest([source, *sorted(libs.glob('*.jar'))])}", build)
