"""A Kafka broker of the tests' own with TLS and SASL listeners, from the stack's jars.

It is the local stack's broker (``services.stack.kafka``: same Maven-resolved jars, same
template) with four more listeners appended to its configuration:

- SSL with client authentication required (mutual TLS);
- SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512;
- SASL_PLAINTEXT with the same mechanisms;
- the PLAINTEXT listener stays for the broker itself (inter-broker, health check).

SCRAM users are created by the storage tool (``--add-scram``) when the node is formatted,
PLAIN users are listed in the listener's JAAS configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.settings import Settings
from services.stack import kafka
from tests.pki import Pki
from tests.support import free_port

USER = "claimflow"
PASSWORD = "s3cret-Passw0rd"
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class SecureBroker:
    settings: Settings  # the broker's own (state dir, PLAINTEXT port)
    ssl: str
    sasl_ssl: str
    sasl_plaintext: str


def _sasl_listener(name: str) -> str:
    plain = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{USER}="{PASSWORD}";'
    )
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    return "\n".join(
        [
            f"listener.name.{name}.plain.sasl.jaas.config={plain}",
            f"listener.name.{name}.scram-sha-256.sasl.jaas.config={scram}",
            f"listener.name.{name}.scram-sha-512.sasl.jaas.config={scram}",
        ]
    )


def properties(base: Settings, pki: Pki, ssl: int, sasl_ssl: int, sasl_plain: int) -> str:
    host = base.kafka_host
    plain = f"PLAINTEXT://{host}:{base.kafka_port}"
    listeners = (
        f"{plain},SSL://{host}:{ssl},SASL_SSL://{host}:{sasl_ssl},"
        f"SASL_PLAINTEXT://{host}:{sasl_plain}"
    )
    return "\n".join(
        [
            f"listeners={listeners},CONTROLLER://{host}:{base.kafka_controller_port}",
            f"advertised.listeners={listeners}",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
            "SSL:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={pki.server.bundle}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={pki.ca}",
            "listener.name.ssl.ssl.client.auth=required",
            f"sasl.enabled.mechanisms={','.join(MECHANISMS)}",
            _sasl_listener("sasl_ssl"),
            _sasl_listener("sasl_plaintext"),
            "",
        ]
    )


def start(state_dir: Path, pki: Pki) -> SecureBroker:
    base = Settings(
        state_dir=state_dir,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        kafka_heap="384m",
        kafka_quick_jvm=True,
    )
    ssl, sasl_ssl, sasl_plain = free_port(), free_port(), free_port()
    users = [
        arg
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
        for arg in ("--add-scram", f"{mechanism}=[name={USER},password={PASSWORD}]")
    ]
    kafka.up(
        base,
        extra_properties=properties(base, pki, ssl, sasl_ssl, sasl_plain),
        format_args=users,
    )
    host = base.kafka_host
    return SecureBroker(
        settings=base,
        ssl=f"{host}:{ssl}",
        sasl_ssl=f"{host}:{sasl_ssl}",
        sasl_plaintext=f"{host}:{sasl_plain}",
    )


def stop(broker: SecureBroker) -> None:
    kafka.down(broker.settings)
