"""The producer, the reader and the faust projector over TLS and SASL, on a real broker.

The broker is the tests' own (``secure_broker``): the stack's Kafka with SSL (mutual TLS),
SASL_SSL and SASL_PLAINTEXT listeners, certificates made by the test, SCRAM users created
when its storage is formatted. Nothing here talks plaintext except the broker to itself.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from ulid import ULID

from claims.status import ClaimStatus
from events import topics
from events.connection import KafkaUnavailable, check_connection
from events.contract import ClaimEventData, make_event
from events.producer import EventProducer
from events.reader import read_claim_events
from services import apps, readmodel
from services.consumer import prepare_topics
from services.db import init_db, make_engine
from services.settings import Settings
from services.stack import process
from tests.events import secure_broker
from tests.events.secure_broker import PASSWORD, USER, SecureBroker
from tests.pki import Pki, make_pki
from tests.support import claim_payload, harness

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[SecureBroker]:
    started = secure_broker.start(tmp_path_factory.mktemp("secure-kafka"), pki)
    yield started
    secure_broker.stop(started)


def over(settings: Settings, bootstrap: str, protocol: str, **security: Any) -> Settings:
    """``settings`` on another listener (validated, as if read from the environment)."""
    return Settings.model_validate(
        {
            **settings.model_dump(),
            "kafka_bootstrap_servers": bootstrap,
            "kafka_security_protocol": protocol,
            **{f"kafka_{name}": value for name, value in security.items()},
        }
    )


def scram(settings: Settings, broker: SecureBroker, pki: Pki, mechanism: str) -> Settings:
    return over(
        settings,
        broker.sasl_ssl,
        "SASL_SSL",
        sasl_mechanism=mechanism,
        sasl_username=USER,
        sasl_password=PASSWORD,
        ssl_ca_file=pki.ca,
    )


def mutual_tls(settings: Settings, broker: SecureBroker, pki: Pki) -> Settings:
    return over(
        settings,
        broker.ssl,
        "SSL",
        ssl_ca_file=pki.ca,
        ssl_cert_file=pki.client.cert,
        ssl_key_file=pki.client.key,
    )


def sasl_plain(settings: Settings, broker: SecureBroker, pki: Pki) -> Settings:
    return over(
        settings,
        broker.sasl_plaintext,
        "SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username=USER,
        sasl_password=PASSWORD,
    )


def received_event(claim_id: str) -> Any:
    return make_event(
        time=dt.datetime.now(dt.UTC),
        data=ClaimEventData(
            claim_id=claim_id,
            seq=1,
            status=ClaimStatus.RECEIVED,
            payer_id="SIMPAYER1",
            total_charge=Decimal("185.00"),
        ),
    )


async def test_a_lifecycle_over_sasl_ssl_with_scram(
    settings: Settings, client: Client, broker: SecureBroker, pki: Pki
) -> None:
    """Worker (producer), consumer process (faust projector) and reader, all SCRAM over TLS."""
    secure = scram(settings, broker, pki, "SCRAM-SHA-512")
    async with harness(secure, client) as h:
        claim_id = await h.submit(claim_payload())
        await h.wait_status(claim_id, ClaimStatus.PAID)
        await h.wait_read_model(claim_id, ClaimStatus.PAID, seq=7)
    events = read_claim_events(secure.kafka_connection, secure.topic(topics.LIFECYCLE), claim_id)
    assert [e.seq for e in events] == list(range(1, 8))


def test_producer_and_projector_over_mutual_tls(
    settings: Settings, broker: SecureBroker, pki: Pki
) -> None:
    secure = mutual_tls(settings, broker, pki)
    prepare_topics(secure)
    engine = make_engine(secure.resolved_database_url)
    init_db(engine)
    apps.start(secure, "consumer")
    producer = EventProducer(
        secure.kafka_connection,
        lifecycle_topic=secure.topic(topics.LIFECYCLE),
        state_topic=secure.topic(topics.STATE),
        alerts_topic=secure.topic(topics.ALERTS),
    )
    claim_id = str(ULID())
    try:
        producer.publish(received_event(claim_id))
        deadline = time.monotonic() + 90
        while readmodel.get_claim(engine, claim_id) is None:
            assert process.is_running(secure.state_dir, "consumer"), process.log_tail(
                secure.state_dir, "consumer"
            )
            assert time.monotonic() < deadline, "the projector never wrote the claim"
            time.sleep(0.3)
    finally:
        producer.close()
        process.stop(secure.state_dir, "consumer")
        engine.dispose()
    row = readmodel.get_claim(make_engine(secure.resolved_database_url), claim_id)
    assert row is not None and row.status == ClaimStatus.RECEIVED


def _scram_sha_256(s: Settings, b: SecureBroker, p: Pki) -> Settings:
    return scram(s, b, p, "SCRAM-SHA-256")


@pytest.mark.parametrize(
    "security", [_scram_sha_256, sasl_plain], ids=["sasl-ssl-scram-256", "sasl-plaintext-plain"]
)
def test_publish_and_read_back(
    settings: Settings, broker: SecureBroker, pki: Pki, security: Any
) -> None:
    secure: Settings = security(settings, broker, pki)
    check_connection(secure.kafka_connection)
    prepare_topics(secure)
    producer = EventProducer(
        secure.kafka_connection,
        lifecycle_topic=secure.topic(topics.LIFECYCLE),
        state_topic=secure.topic(topics.STATE),
        alerts_topic=secure.topic(topics.ALERTS),
    )
    claim_id = str(ULID())
    producer.publish(received_event(claim_id))
    producer.close()
    events = read_claim_events(secure.kafka_connection, secure.topic(topics.LIFECYCLE), claim_id)
    assert [e.subject for e in events] == [claim_id]


def _wrong_password(s: Settings, b: SecureBroker, p: Pki) -> Settings:
    return over(scram(s, b, p, "SCRAM-SHA-512"), b.sasl_ssl, "SASL_SSL", sasl_password="nope")


def _untrusted_ca(s: Settings, b: SecureBroker, p: Pki) -> Settings:
    return over(scram(s, b, p, "SCRAM-SHA-512"), b.sasl_ssl, "SASL_SSL", ssl_ca_file=p.other_ca)


def _no_client_cert(s: Settings, b: SecureBroker, p: Pki) -> Settings:
    return over(s, b.ssl, "SSL", ssl_ca_file=p.ca)


@pytest.mark.parametrize(
    ("security", "says"),
    [
        (_wrong_password, "SASL SCRAM-SHA-512 authentication as 'claimflow' failed"),
        (_untrusted_ca, "the broker's certificate is not trusted by the CA in"),
        (_no_client_cert, "requires a TLS client certificate (mutual TLS) and none is set"),
    ],
    ids=["wrong-password", "untrusted-ca", "no-client-cert"],
)
def test_refusals_say_why(
    settings: Settings, broker: SecureBroker, pki: Pki, security: Any, says: str
) -> None:
    bad: Settings = security(settings, broker, pki)
    with pytest.raises(KafkaUnavailable) as refused:
        check_connection(bad.kafka_connection, timeout_s=5)
    assert says in str(refused.value)
    assert PASSWORD not in str(refused.value) and "nope" not in str(refused.value)


def test_a_consumer_with_a_wrong_password_stops_and_says_why(
    settings: Settings, broker: SecureBroker, pki: Pki
) -> None:
    bad = _wrong_password(settings, broker, pki)
    apps.start(bad, "consumer")
    deadline = time.monotonic() + 120
    while process.is_running(bad.state_dir, "consumer"):
        assert time.monotonic() < deadline, "the consumer kept running with a wrong password"
        time.sleep(0.5)
    log = process.log_file(bad.state_dir, "consumer").read_text()
    assert "error: cannot connect to Kafka at" in log
    assert "authentication as 'claimflow' failed" in log
    assert "nope" not in log


def test_contradictory_settings_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CLAIMFLOW_KAFKA_SASL_MECHANISM"):
        Settings(kafka_security_protocol="SASL_SSL")
    with pytest.raises(ValueError, match="CLAIMFLOW_KAFKA_SASL_PASSWORD"):
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-256",
            kafka_sasl_username="u",
        )
    with pytest.raises(ValueError, match="CLAIMFLOW_KAFKA_SSL_KEY_FILE"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_cert_file=tmp_path / "c.crt")
    with pytest.raises(ValueError, match="CLAIMFLOW_KAFKA_SECURITY_PROTOCOL"):
        Settings(kafka_security_protocol="TLS")
    with pytest.raises(ValueError, match="CLAIMFLOW_KAFKA_SECURITY_PROTOCOL"):
        Settings(kafka_ssl_ca_file=tmp_path / "ca.crt")  # a CA file on PLAINTEXT
    missing = Settings(kafka_security_protocol="SSL", kafka_ssl_ca_file=tmp_path / "nope.crt")
    with pytest.raises(ValueError, match="cannot load the Kafka TLS files"):
        missing.kafka_connection.ssl_context()
    unreadable = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="u",
        kafka_sasl_password_file=tmp_path / "missing",
    )
    with pytest.raises(ValueError, match="CLAIMFLOW_KAFKA_SASL_PASSWORD_FILE"):
        _ = unreadable.kafka_connection


def test_password_from_a_mounted_file(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("from-a-secret\n")
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="u",
        kafka_sasl_password_file=tmp_path / "password",
    )
    assert settings.kafka_connection.password == "from-a-secret"
    assert "from-a-secret" not in repr(settings.kafka_connection)
