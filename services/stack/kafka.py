"""Apache Kafka 4.1 in KRaft mode on Java 17: one node, or a small cluster on loopback.

Each node is a broker and a controller in one JVM, and every node is a voter of the
controller quorum; ``settings.kafka_nodes`` says how many (1 for development, 3 to prove
that the loss of a broker loses nothing: replication factor 3, ``min.insync.replicas`` 2).
Node 1 keeps the single node's names (pid ``kafka``, data in ``kafka/data``), so a state
dir made before clusters existed still starts; node n > 1 is ``kafka-n`` in ``kafka/node-n``.

There is no Kafka in Debian and no release tarball can be fetched, so the jars come from Maven
Central through ``deploy/kafka/pom.xml``. They are resolved once into
``.state/kafka-libs/<hash of the pom>/`` in the repo, shared by every state dir (tests, ``make
run``), because resolving them per state dir would cost seconds and disk for every test run.
The broker's data, config and log live in the state dir like everything else.
"""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from string import Template

from services.settings import REPO_ROOT, Settings
from services.stack import maven, process

NAME = "kafka"
DEPLOY_DIR = REPO_ROOT / "deploy" / "kafka"
POM = DEPLOY_DIR / "pom.xml"
TEMPLATE = DEPLOY_DIR / "server.properties.tmpl"
LOG4J_CONFIG = DEPLOY_DIR / "log4j2.properties"
LIBS_ROOT = REPO_ROOT / ".state" / "kafka-libs"
COMPLETE_MARKER = ".complete"
# Generous: on a loaded machine a JVM with many topics to load takes minutes to answer.
START_TIMEOUT = 180.0
# A graceful KRaft shutdown (controlled shutdown, flushing logs) takes a few seconds.
STOP_TIMEOUT = 30.0
MIN_JAVA = 17


def java() -> str:
    """The ``java`` on PATH, checked to be new enough for Kafka 4 (Java 17+)."""
    path = maven.tool(
        "java", "install a Java 17 runtime (apt-get install -y openjdk-17-jre-headless)"
    )
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
    return LIBS_ROOT / maven.digest([POM])


def ensure_libs() -> Path:
    """Resolve the broker's jars with Maven unless a previous run already did (see
    ``services.stack.maven``: complete or absent, never half-resolved)."""
    return maven.resolve(POM, LIBS_ROOT, expect="kafka_2.13-*.jar", what="the Kafka jars")


def kafka_dir(settings: Settings) -> Path:
    return settings.state_dir / "kafka"


def nodes(settings: Settings) -> range:
    return range(1, settings.kafka_nodes + 1)


def node_name(node: int) -> str:
    """Process name of a node: ``kafka`` for node 1 (as before clusters), else ``kafka-n``."""
    return NAME if node == 1 else f"{NAME}-{node}"


def node_dir(settings: Settings, node: int = 1) -> Path:
    return kafka_dir(settings) if node == 1 else kafka_dir(settings) / f"node-{node}"


def data_dir(settings: Settings, node: int = 1) -> Path:
    return node_dir(settings, node) / "data"


def properties_file(settings: Settings, node: int = 1) -> Path:
    return node_dir(settings, node) / "server.properties"


def node_bootstrap(settings: Settings, node: int) -> str:
    return f"{settings.kafka_host}:{settings.kafka_node_ports(node)[0]}"


def write_properties(settings: Settings, node: int = 1, extra: str = "") -> Path:
    """Render the template on every start, so changed ports take effect on the next ``up``.

    ``extra`` is appended: a later key overrides an earlier one in a properties file, so a
    caller can add listeners (TLS, SASL) to the local broker's configuration.
    """
    voters = ",".join(
        f"{n}@{settings.kafka_host}:{settings.kafka_node_ports(n)[1]}" for n in nodes(settings)
    )
    broker_port, controller_port = settings.kafka_node_ports(node)
    text = Template(TEMPLATE.read_text()).substitute(
        host=settings.kafka_host,
        node_id=node,
        voters=voters,
        kafka_port=broker_port,
        controller_port=controller_port,
        data_dir=data_dir(settings, node),
        partitions=settings.topic_partitions,
        internal_replicas=min(3, settings.kafka_nodes),
        internal_min_isr=2 if settings.kafka_nodes >= 3 else 1,
    )
    path = properties_file(settings, node)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + ("\n" + extra if extra else ""))
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


def ensure_formatted(
    settings: Settings,
    java_bin: str,
    libs: Path,
    props: Path,
    node: int = 1,
    extra: Sequence[str] = (),
) -> None:
    """Format a node's KRaft storage once; ``meta.properties`` marks a formatted data dir.

    Formatting again would give the node a new cluster id and orphan its data, so it is
    skipped whenever the marker exists. Every node of a cluster is formatted with the same
    cluster id, kept in ``kafka/cluster-id``. ``extra`` are further StorageTool arguments,
    e.g. ``--add-scram`` to create SCRAM users before the first start.
    """
    if (data_dir(settings, node) / "meta.properties").exists():
        return
    _storage_tool(java_bin, libs, "format", "-t", cluster_id(settings), "-c", str(props), *extra)


def cluster_id(settings: Settings) -> str:
    """The cluster's id: made once, or read back from node 1 of a state dir made before."""
    path = kafka_dir(settings) / "cluster-id"
    if path.exists():
        return path.read_text().strip()
    meta = data_dir(settings, 1) / "meta.properties"
    found = re.search(r"^cluster\.id=(\S+)", meta.read_text(), re.M) if meta.exists() else None
    value = found.group(1) if found else random_cluster_id()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    return value


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
    quick = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    return [
        java_bin,
        f"-Xmx{heap}",
        f"-Xms{heap}",
        *(quick if settings.kafka_quick_jvm else ["-XX:+UseG1GC"]),
        # Die loudly (and visibly in the log) rather than limp along after an OOM.
        "-XX:+ExitOnOutOfMemoryError",
        *_java_base(java_bin, libs)[1:],
        "kafka.Kafka",
        str(props),
    ]


def healthy(settings: Settings, node: int = 1) -> bool:
    """The node answers a metadata request, which needs the controller quorum up too."""
    from kafka.admin import KafkaAdminClient  # slow import; only needed for the check

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=node_bootstrap(settings, node),
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


def is_running(settings: Settings, node: int | None = None) -> bool:
    """Whether node ``node`` runs; without one, whether every node of the cluster does."""
    wanted = nodes(settings) if node is None else (node,)
    return all(process.is_running(settings.state_dir, node_name(n)) for n in wanted)


def _start_node(
    settings: Settings,
    node: int,
    java_bin: str,
    libs: Path,
    extra_properties: str = "",
    format_args: Sequence[str] = (),
) -> None:
    state, name = settings.state_dir, node_name(node)
    with process.locked(state, name):
        if process.is_running(state, name):
            return
        broker_port, controller_port = settings.kafka_node_ports(node)
        for port, setting in (
            (broker_port, "kafka_port"),
            (controller_port, "kafka_controller_port"),
        ):
            process.ensure_port_free(settings.kafka_host, port, name, setting)
        props = write_properties(settings, node, extra_properties)
        ensure_formatted(settings, java_bin, libs, props, node, format_args)
        process.start(state, name, command(settings, java_bin, libs, props))


def up(
    settings: Settings,
    node: int | None = None,
    *,
    extra_properties: str = "",
    format_args: Sequence[str] = (),
) -> None:
    """Resolve jars, format storage and start the node(s) as needed; wait until they answer.

    All nodes start before any is waited for: a cluster's first node cannot answer until a
    majority of the controller quorum is up. ``extra_properties`` and ``format_args``
    configure a broker with more than the local PLAINTEXT listener (see ``write_properties``
    and ``ensure_formatted``).
    """
    wanted = list(nodes(settings)) if node is None else [node]
    java_bin = java()
    libs = ensure_libs()
    for n in wanted:
        _start_node(settings, n, java_bin, libs, extra_properties, format_args)
    for n in wanted:
        process.wait_ready(
            settings.state_dir,
            node_name(n),
            partial(_ready, settings, n),
            START_TIMEOUT,
            f"metadata from {node_bootstrap(settings, n)}",
        )


def _ready(settings: Settings, node: int) -> bool:
    port = settings.kafka_node_ports(node)[0]
    return process.port_open(settings.kafka_host, port) and healthy(settings, node)


def down(settings: Settings, node: int | None = None) -> bool:
    """Stop the node(s) gracefully (clean shutdown, no log recovery next time).

    A cluster's nodes are stopped together: stopped one by one, the last ones would wait
    for a controller quorum that is already gone.
    """
    wanted = list(nodes(settings)) if node is None else [node]
    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        stopped = list(
            pool.map(
                lambda n: process.stop(settings.state_dir, node_name(n), timeout=STOP_TIMEOUT),
                wanted,
            )
        )
    return any(stopped)


def restart(settings: Settings, node: int | None = None) -> None:
    down(settings, node)
    up(settings, node)


def kill9(settings: Settings, node: int = 1) -> None:
    """SIGKILL a node, as a crash would; the next ``up`` recovers its logs."""
    process.kill(settings.state_dir, node_name(node), signal.SIGKILL)
