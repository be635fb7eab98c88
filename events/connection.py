"""How every Kafka client of claimflow reaches the brokers: address, TLS and SASL.

kafka-python (producer, reader, admin) and aiokafka (under faust) take the same security
keyword arguments, so one ``KafkaConnection`` turns into one set of kwargs for all of them
(``client_kwargs``) and into faust's credentials object (``faust_credentials``), which faust
hands to aiokafka as those same kwargs. A plain ``"host:port"`` string is still accepted
wherever a connection is, meaning PLAINTEXT: the local stack needs nothing more.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # faust is heavy to import and only the consumer needs it
    import faust

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
SECURITY_PROTOCOLS: tuple[str, ...] = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS: tuple[str, ...] = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaConfigError(ValueError):
    """A Kafka connection setting is missing, contradictory or points at an unreadable file.

    ``field`` names the ``KafkaConnection`` field at fault, so settings can name the
    variable a person has to fix.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and how to authenticate to them.

    ``bootstrap`` is a comma-separated list of ``host:port``. Certificates are PEM files:
    ``ca_file`` is the CA that signed the brokers' certificates (the system's CAs when
    unset), ``cert_file``/``key_file`` a client certificate for mutual TLS.
    """

    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    key_password: str | None = field(default=None, repr=False)
    check_hostname: bool = True

    def __post_init__(self) -> None:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise KafkaConfigError(
                "security_protocol",
                f"security protocol {self.security_protocol!r} is not one of "
                + ", ".join(SECURITY_PROTOCOLS),
            )
        if self.uses_sasl:
            if self.sasl_mechanism not in SASL_MECHANISMS:
                raise KafkaConfigError(
                    "sasl_mechanism",
                    f"{self.security_protocol} needs a SASL mechanism, one of "
                    + ", ".join(SASL_MECHANISMS)
                    + f" (got {self.sasl_mechanism!r})",
                )
            for name, value in (("username", self.username), ("password", self.password)):
                if not value:
                    raise KafkaConfigError(
                        name, f"{self.security_protocol} with {self.sasl_mechanism} needs a {name}"
                    )
        if (self.cert_file is None) != (self.key_file is None):
            raise KafkaConfigError(
                "key_file" if self.key_file is None else "cert_file",
                "a client certificate needs both its certificate file and its key file",
            )
        if not self.uses_tls and (self.ca_file or self.cert_file):
            raise KafkaConfigError(
                "security_protocol",
                f"certificate files are set but the security protocol is "
                f"{self.security_protocol}; use SSL or SASL_SSL",
            )

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap.split(",") if s.strip()]

    def describe(self) -> str:
        """For error messages and logs: never the password."""
        who = f" as {self.username} ({self.sasl_mechanism})" if self.uses_sasl else ""
        return f"{self.bootstrap} over {self.security_protocol}{who}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context every client shares, or None for plaintext protocols.

        Built here rather than from the clients' own ``ssl_cafile`` options because
        aiokafka accepts only a context, and one context means one behaviour for all.
        """
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.check_hostname = self.check_hostname
        try:
            if self.ca_file is not None:
                context.load_verify_locations(cafile=str(self.ca_file))
            if self.cert_file is not None and self.key_file is not None:
                context.load_cert_chain(
                    str(self.cert_file), str(self.key_file), password=self.key_password
                )
        except (OSError, ssl.SSLError) as exc:
            raise KafkaConfigError(
                "ca_file", f"cannot load the Kafka TLS files ({self._files()}): {exc}"
            ) from exc
        return context

    def _files(self) -> str:
        named = (("CA", self.ca_file), ("certificate", self.cert_file), ("key", self.key_file))
        return ", ".join(f"{what} {path}" for what, path in named if path is not None)


def as_connection(target: str | KafkaConnection) -> KafkaConnection:
    """A bare ``host:port`` list is a PLAINTEXT connection (the local stack)."""
    return target if isinstance(target, KafkaConnection) else KafkaConnection(bootstrap=target)


def client_kwargs(target: str | KafkaConnection) -> dict[str, Any]:
    """Keyword arguments for a kafka-python or aiokafka client: servers, TLS and SASL."""
    conn = as_connection(target)
    kwargs: dict[str, Any] = {
        "bootstrap_servers": conn.servers,
        "security_protocol": conn.security_protocol,
    }
    context = conn.ssl_context()
    if context is not None:
        kwargs["ssl_context"] = context
        kwargs["ssl_check_hostname"] = conn.check_hostname
    if conn.uses_sasl:
        kwargs["sasl_mechanism"] = conn.sasl_mechanism
        # Both libraries use the "plain" names for SCRAM's username and password too.
        kwargs["sasl_plain_username"] = conn.username
        kwargs["sasl_plain_password"] = conn.password
    return kwargs


def faust_broker(target: str | KafkaConnection) -> str:
    """faust's broker URL: ``kafka://h1:9092;h2:9092``."""
    return "kafka://" + ";".join(as_connection(target).servers)


def faust_credentials(target: str | KafkaConnection) -> faust.auth.Credentials | None:
    """The same security as ``client_kwargs``, in the form faust passes on to aiokafka."""
    import faust

    conn = as_connection(target)
    kwargs = client_kwargs(conn)
    context: ssl.SSLContext | None = kwargs.get("ssl_context")
    if conn.uses_sasl:
        credentials = faust.SASLCredentials(
            username=conn.username,
            password=conn.password,
            ssl_context=context,
            mechanism=conn.sasl_mechanism,
        )
        return credentials
    if context is not None:
        return faust.SSLCredentials(context)
    return None


class KafkaUnavailable(RuntimeError):
    """The brokers cannot be reached or refuse us; the message says which and why."""


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _diagnose(conn: KafkaConnection, lines: list[str]) -> str:
    """Why kafka-python could not bootstrap, from what it logged on the way.

    kafka-python reports every failure as "Unable to bootstrap" after its timeout and logs
    the cause; a person needs the cause, named in terms of the settings to change.
    """
    text = "\n".join(lines)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        detail = next(line for line in lines if "CERTIFICATE_VERIFY_FAILED" in line)
        trusted = f"the CA in {conn.ca_file}" if conn.ca_file else "the system's CAs"
        return (
            f"the broker's certificate is not trusted by {trusted} "
            f"({detail.rsplit(': ', 1)[-1]}); set the CA file (CLAIMFLOW_KAFKA_SSL_CA_FILE) "
            "to the CA that signed the brokers' certificates"
        )
    if "BAD_CERTIFICATE" in text or "CERTIFICATE_REQUIRED" in text:
        which = f"refused ours ({conn.cert_file})" if conn.cert_file else "none is set"
        return (
            f"the broker requires a TLS client certificate (mutual TLS) and {which}; set "
            "CLAIMFLOW_KAFKA_SSL_CERT_FILE and CLAIMFLOW_KAFKA_SSL_KEY_FILE to a certificate "
            "signed by a CA the brokers trust"
        )
    if "UnsupportedSaslMechanism" in text:
        return f"the broker does not offer SASL {conn.sasl_mechanism}"
    if conn.uses_sasl and "SaslAuthenticate" in text:
        return (
            f"SASL {conn.sasl_mechanism} authentication as {conn.username!r} failed: the "
            "broker closed the connection (wrong username or password, or a user unknown "
            "for this mechanism)"
        )
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused (no broker listening there)"
    errors = [line for line in lines if "rror" in line]
    return errors[-1] if errors else "no answer"


def check_connection(target: str | KafkaConnection, *, timeout_s: float = 15.0) -> None:
    """Connect once and fail fast with the reason, before a process starts its clients.

    Without it a wrong password or an untrusted CA shows only as publishes timing out.
    """
    conn = as_connection(target)
    logger = logging.getLogger("kafka")
    capture = _Capture()
    saved = (logger.level, logger.propagate)
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the client's debug chatter stays out of the process's log
    admin = None
    try:
        # Imported here: the settings of every process (and so the CLI) import this module,
        # and most never check a connection.
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(
            **client_kwargs(conn),
            client_id="claimflow-connection-check",
            request_timeout_ms=int(timeout_s * 1000),
            bootstrap_timeout_ms=int(timeout_s * 1000),
        )
        admin.list_topics()
    except Exception as exc:
        capture.lines.append(f"{type(exc).__name__}: {exc}")
        raise KafkaUnavailable(
            f"cannot connect to Kafka at {conn.describe()}: {_diagnose(conn, capture.lines)}"
        ) from exc
    finally:
        if admin is not None:
            admin.close()
        logger.removeHandler(capture)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
