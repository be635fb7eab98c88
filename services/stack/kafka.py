"""Apache Kafka 4.1 as one KRaft node (broker + controller in one JVM) on Java 17.

There is no Kafka in Debian and no release tarball can be fetched, so the jars come from Maven
Central through ``deploy/kafka/pom.xml``. They are resolved once into
``.state/kafka-libs/<hash of the pom>/`` in the repo, shared by every state dir (tests, ``make
run``), because resolving them per state dir would cost seconds and disk for every test run.
The broker's data, config and log live in the state dir like everything else.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import re
import shutil
import signal
import subprocess
import uuid
from pathlib import Path
from string import Template

from services.settings import REPO_ROOT, Settings
from services.stack import process

NAME = "kafka"
DEPLOY_DIR = REPO_ROOT / "deploy" / "kafka"
POM = DEPLOY_DIR / "pom.xml"
TEMPLATE = DEPLOY_DIR / "server.properties.tmpl"
LOG4J_CONFIG = DEPLOY_DIR / "log4j2.properties"
LIBS_ROOT = REPO_ROOT / ".state" / "kafka-libs"
COMPLETE_MARKER = ".complete"
# A JVM broker loading its topics on 2 cores shared by a busy team can take over a minute.
START_TIMEOUT = 180.0
# A graceful KRaft shutdown (controlled shutdown, flushing logs) takes a few seconds.
STOP_TIMEOUT = 30.0
MIN_JAVA = 17


def _tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise process.StackError(f"{name} not found on PATH: {install_hint}")
    return path


def java() -> str:
    """The ``java`` on PATH, checked to be new enough for Kafka 4 (Java 17+)."""
    path = _tool("java", "install a Java 17 runtime (apt-get install -y openjdk-17-jre-headless)")
    out = subprocess.run(
        [path, "-version"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    ).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if match is not None:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_x" style
            major = int(match.group(2))
        if major < MIN_JAVA:
            raise process.StackError(
                f"Kafka 4 needs Java {MIN_JAVA} or newer, but {path} is Java {major}: "
                "apt-get install -y openjdk-17-jre-headless"
            )
    return path


def libs_dir() -> Path:
    """The directory the current pom's jars are (or will be) resolved into."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    return LIBS_ROOT / digest


def ensure_libs() -> Path:
    """Resolve the broker's jars with Maven unless a previous run already did.

    Maven writes into a scratch dir that is renamed into place only after it succeeded, and a
    lock keeps concurrent ``up`` calls (parallel test sessions) from resolving twice; so a
    directory with the marker is always complete.
    """
    target = libs_dir()
    if (target / COMPLETE_MARKER).exists():
        return target
    LIBS_ROOT.mkdir(parents=True, exist_ok=True)
    with (LIBS_ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / COMPLETE_MARKER).exists():
            return target
        mvn = _tool("mvn", "install Maven (apt-get install -y maven)")
        scratch = target.with_name(target.name + ".partial")
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={scratch}",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=900,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise process.StackError(
                f"Maven could not resolve the Kafka jars from {POM} "
                f"(exit {result.returncode}); is Maven Central reachable?\n{tail}"
            )
        if not any(scratch.glob("kafka_2.13-*.jar")):
            raise process.StackError(f"Maven ran but put no kafka_2.13 jar in {scratch}")
        (scratch / COMPLETE_MARKER).write_text(POM.read_text())
        scratch.rename(target)
    return target


def kafka_dir(settings: Settings) -> Path:
    return settings.state_dir / "kafka"


def data_dir(settings: Settings) -> Path:
    return kafka_dir(settings) / "data"


def properties_file(settings: Settings) -> Path:
    return kafka_dir(settings) / "server.properties"


def write_properties(settings: Settings) -> Path:
    """Render the template on every start, so changed ports take effect on the next ``up``."""
    text = Template(TEMPLATE.read_text()).substitute(
        host=settings.kafka_host,
        kafka_port=settings.kafka_port,
        controller_port=settings.kafka_controller_port,
        data_dir=data_dir(settings),
        partitions=settings.topic_partitions,
    )
    path = properties_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _java_base(java_bin: str, libs: Path) -> list[str]:
    return [
        java_bin,
        "-cp", f"{libs}/*",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        "-Djava.awt.headless=true",
    ]  # fmt: skip


def _storage_tool(java_bin: str, libs: Path, *args: str) -> str:
    result = subprocess.run(
        [*_java_base(java_bin, libs), "kafka.tools.StorageTool", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    if result.returncode != 0:
        raise process.StackError(
            f"kafka StorageTool {args[0]} failed (exit {result.returncode}):\n"
            + (result.stdout + result.stderr).strip()
        )
    return result.stdout


def ensure_formatted(settings: Settings, java_bin: str, libs: Path, props: Path) -> None:
    """Format the KRaft storage once; ``meta.properties`` marks a formatted data dir.

    Formatting again would give the node a new cluster id and orphan its data, so it is
    skipped whenever the marker exists.
    """
    if (data_dir(settings) / "meta.properties").exists():
        return
    _storage_tool(java_bin, libs, "format", "-t", random_cluster_id(), "-c", str(props))


def random_cluster_id() -> str:
    """What ``StorageTool random-uuid`` prints, without starting a JVM for it.

    A Kafka Uuid is 16 random bytes in unpadded URL-safe base64 (22 characters); like
    ``org.apache.kafka.common.Uuid.randomUuid`` we avoid ids that start with "-", which the
    command-line tools would read as an option.
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def command(settings: Settings, java_bin: str, libs: Path, props: Path) -> list[str]:
    heap = settings.kafka_heap
    return [
        java_bin,
        f"-Xmx{heap}",
        f"-Xms{heap}",
        "-XX:+UseG1GC",
        # Die loudly (and visibly in the log) rather than limp along after an OOM.
        "-XX:+ExitOnOutOfMemoryError",
        *_java_base(java_bin, libs)[1:],
        "kafka.Kafka",
        str(props),
    ]


def healthy(settings: Settings) -> bool:
    """The broker answers a metadata request, which needs the controller quorum up too."""
    from kafka.admin import KafkaAdminClient  # slow import; only needed for the check

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id="claimflow-stack-health",
            request_timeout_ms=5000,
            bootstrap_timeout_ms=5000,
        )
    except Exception:
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        admin.close()


def is_running(settings: Settings) -> bool:
    return process.is_running(settings.state_dir, NAME)


def up(settings: Settings) -> None:
    """Resolve jars, format storage and start the broker as needed; wait until it answers."""
    state = settings.state_dir

    def ready() -> bool:
        return process.port_open(settings.kafka_host, settings.kafka_port) and healthy(settings)

    with process.locked(state, NAME):
        if not process.is_running(state, NAME):
            for port, setting in (
                (settings.kafka_port, "kafka_port"),
                (settings.kafka_controller_port, "kafka_controller_port"),
            ):
                process.ensure_port_free(settings.kafka_host, port, NAME, setting)
            java_bin = java()
            libs = ensure_libs()
            props = write_properties(settings)
            ensure_formatted(settings, java_bin, libs, props)
            process.start(state, NAME, command(settings, java_bin, libs, props))
        process.wait_ready(
            state, NAME, ready, START_TIMEOUT, f"metadata from {settings.kafka_bootstrap}"
        )


def down(settings: Settings) -> bool:
    """Stop the broker gracefully (clean shutdown, no log recovery next time)."""
    return process.stop(settings.state_dir, NAME, timeout=STOP_TIMEOUT)


def restart(settings: Settings) -> None:
    down(settings)
    up(settings)


def kill9(settings: Settings) -> None:
    """SIGKILL the broker, as a crash would; the next ``up`` recovers its logs."""
    process.kill(settings.state_dir, NAME, signal.SIGKILL)
