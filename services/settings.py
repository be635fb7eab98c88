"""Process configuration, read once from ``CLAIMFLOW_*`` environment variables.

Every port and path has an embedded default so that ``make run`` needs no configuration;
tests override them to run a stack of their own beside a developer's.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.connection import KafkaConfigError, KafkaConnection
from events.topics import DEFAULT_PARTITIONS

REPO_ROOT = Path(__file__).resolve().parent.parent
# Port distance between the nodes of a local Kafka cluster (see Settings.kafka_nodes).
KAFKA_NODE_PORT_STEP = 10


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMFLOW_", extra="ignore")

    # Where the local stack keeps its data, logs and pid files (gitignored).
    state_dir: Path = REPO_ROOT / ".state" / "run"

    # Temporal
    temporal_host: str = "127.0.0.1"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    temporal_http_port: int = 7243
    temporal_metrics_port: int = 7244
    temporal_namespace: str = "default"
    temporal_ui: bool = True
    task_queue: str = "claims"
    # A Temporal cluster or Temporal Cloud instead of the local dev server: its host:port
    # (overrides temporal_host/temporal_port), TLS and credentials. Any TLS file turns TLS
    # on; temporal_tls alone means TLS with the system's CAs (Temporal Cloud + API key).
    temporal_server: str | None = None
    temporal_tls: bool = False
    temporal_tls_ca_file: Path | None = None
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None
    temporal_api_key_file: Path | None = None

    # Kafka
    kafka_host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    kafka_heap: str = "512m"
    # The local broker's JVM with the first JIT tier only and the serial collector: it starts
    # and creates topics on about half the CPU, at a lower peak throughput. For the test
    # suite's brokers (many topics, little traffic, two cores); benchmarks keep the default.
    kafka_quick_jvm: bool = False
    # Brokers in the local cluster (each broker + controller in one JVM, all voters). Node n
    # (1-based) listens on kafka_port + 10*(n-1) and kafka_controller_port + 10*(n-1). Set
    # it before the first `up`: a cluster's size is fixed when its storage is formatted.
    kafka_nodes: int = 1
    topic_prefix: str = ""
    topic_partitions: int = DEFAULT_PARTITIONS
    topic_replication_factor: int = 1
    topic_min_insync_replicas: int = 1
    # A Kafka cluster instead of the local broker: comma-separated host:port list
    # (overrides kafka_host/kafka_port), security protocol, SASL and TLS. Files are PEM.
    kafka_bootstrap_servers: str | None = None
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_sasl_password_file: Path | None = None
    kafka_ssl_ca_file: Path | None = None
    kafka_ssl_cert_file: Path | None = None
    kafka_ssl_key_file: Path | None = None
    kafka_ssl_key_password: SecretStr | None = None
    kafka_ssl_check_hostname: bool = True

    # Database: SQLite under the state dir unless a URL is given (e.g. PostgreSQL).
    database_url: str | None = None
    # Processes create or migrate the schema at start. Off in production, where
    # `claimflow db upgrade` runs once per release and a process on an old schema refuses to start.
    auto_migrate: bool = True

    # HTTP services
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    payer_host: str = "127.0.0.1"
    payer_port: int = 8100
    # Seconds the payer simulator waits before it sends an adjudication back.
    payer_delay_seconds: float = 1.0
    # The simulator's check run: X12 answers ready within this many seconds go out together
    # (one 277CA, one 835 per provider), as payers batch them. 0: one file per answer.
    payer_check_run_seconds: float = Field(default=0.0, ge=0.0)
    # The payer simulator keeps this many characters of CLM01 in its 277CA TRN02 and 835
    # CLP01, as real payers do (the guide lets them keep 20); 0 echoes CLM01 whole.
    payer_truncate_clm01_to: int = Field(default=0, ge=0, le=38)

    # How claims reach payers: "x12" (837P over HTTP to the payer simulator, answers come
    # back as X12 files), "file" (837P files in an outbound folder, answers picked up from an
    # inbound folder) or "json" (the simulator's JSON API, no X12).
    payer_gateway: str = "x12"
    x12_sender_id: str = "CLAIMFLOW"
    x12_receiver_id: str = "SIMPAYER"
    x12_usage: str = "T"
    # An eligibility check (270/271) that gets no answer within this many seconds is
    # reported as a timeout: the claim goes on with a warning.
    eligibility_timeout_seconds: float = 15.0
    # Before a resubmission, a claim whose last eligibility check is older than this many
    # days is checked again (a correction of the member, payer or date always re-checks).
    eligibility_recheck_after_days: int = Field(default=30, ge=0)
    # Claim payments (or statuses) per page when a payer file is posted.
    posting_page_size: int = 200

    # Consumer group of the read-model projector.
    projector_group: str = "claimflow-projector"
    # How soon the group hands a dead projector's partitions to the others.
    consumer_session_timeout_seconds: float = 10.0
    # This process's name among several of its kind (a second worker or projector):
    # its pid file and log are named for it. Empty: the kind's own name.
    instance: str = ""

    # A workflow step that talks to another system (payer gateway, database) and keeps
    # failing this long raises an activity_stalled alert; it goes on retrying.
    stall_alert_after_seconds: int = 900
    # GET /claims/{id} asks the claim's workflow first; if it has not answered within this
    # bound (no worker, Temporal down) the read model answers instead.
    api_query_timeout_seconds: float = 2.0

    # Webhook delivery (services/webhooks/). A delivery is retried with exponential backoff
    # (initial, doubling, capped, with jitter) and dead-lettered after max attempts.
    webhooks_group: str = "claimflow-webhooks"
    webhook_max_attempts: int = 10
    webhook_backoff_initial_seconds: float = 1.0
    webhook_backoff_max_seconds: float = 600.0
    webhook_timeout_seconds: float = 10.0
    # Requests in flight to one subscription's URL at once (one per claim at most).
    webhook_concurrency: int = 8
    # Records read but not yet delivered; reading pauses above it.
    webhook_max_in_flight: int = 2000
    # How often the process re-reads subscriptions and looks for re-driven dead letters.
    webhook_poll_seconds: float = 1.0

    postgres_port: int = 5432
    postgres_db: str = "claimflow"

    # --- Security (README "Security") ---------------------------------------------------
    # Data keys for PHI at rest, as JSON {"active": id, "keys": {id: base64}} (from a secret
    # store); without them, the key file (default <state>/keys/data-keys.json, made 0600 on
    # first use).
    encryption_keys: SecretStr | None = None
    key_file: Path | None = None
    # The secret behind patient keys (HMAC of a patient's name and birth date that groups
    # a patient's claims for balances and statements). Unset: derived from the oldest data
    # key. Set it (from a secret store) and never change it: patient keys would change.
    patient_key_secret: SecretStr | None = None
    # claimflow as its own token issuer: signing key (default <state>/keys/jwt-signing.pem).
    jwt_issuer: str = "claimflow"
    jwt_audience: str = "claimflow"
    jwt_signing_key_file: Path | None = None
    token_ttl_seconds: int = 8 * 3600
    # OpenID Connect: tokens from this issuer are checked against its JWKS (the discovery
    # document names it unless oidc_jwks_url does); roles come from oidc_roles_claim (a
    # dotted path, e.g. realm_access.roles), the name from oidc_name_claim.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_roles_claim: str = "roles"
    oidc_name_claim: str = "preferred_username"
    oidc_jwks_cache_seconds: int = 600
    # Sessions (the console): an HttpOnly cookie holding a token of ours; Secure behind TLS.
    session_cookie_secure: bool = False
    # A biller's write-off of more than this outstanding amount waits for a supervisor.
    write_off_threshold: Decimal = Decimal("500.00")
    # Request bodies: JSON routes, and payer file uploads (413 above these).
    max_request_bytes: int = 1_048_576
    max_upload_bytes: int = 16 * 1_048_576
    # Origins allowed to call the codec server with credentials (the Temporal UI).
    codec_cors_origins: list[str] = ["http://127.0.0.1:8233", "http://localhost:8233"]
    # The payer simulator's API key (for POST /x12/inbound); make run makes one.
    payer_api_key: SecretStr | None = None
    # The folder shared with a clearinghouse by the `file` gateway (outbound/ and inbound/).
    # Files there are plain X12 (the clearinghouse must read them), so it must live outside
    # the state dir, on storage the clearinghouse connection owns; required for that gateway.
    x12_exchange_dir: Path | None = None

    # Observability. The worker, consumer and inbox serve /metrics on metrics_port (off when
    # unset); the API and the payer simulator serve it on their own port. The Temporal SDK's
    # own metrics are served by its runtime on temporal_sdk_metrics_port. Traces go to an
    # OTLP/HTTP collector when otel_exporter_otlp_endpoint is set, and nowhere otherwise.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    temporal_sdk_metrics_port: int | None = None
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "claimflow"
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    # The console (behind the same sign-in as the API: the session cookie).
    # Where the claim page links a workflow; empty: the local dev server's UI.
    temporal_ui_url: str = ""
    # The API process follows the topics to push live updates to open pages.
    live_updates: bool = True
    # Uploaded attachments: largest accepted file.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # ``?wait=true`` on an action: longest wait for the claim's next resting status.
    action_wait_seconds: float = 30.0

    @model_validator(mode="after")
    def _kafka_settings_agree(self) -> Settings:
        """Refuse contradictory Kafka security settings at start-up, naming the variable."""
        self._kafka_connection(password=self._kafka_password_given())
        return self

    @property
    def temporal_address(self) -> str:
        return self.temporal_server or f"{self.temporal_host}:{self.temporal_port}"

    def kafka_node_ports(self, node: int) -> tuple[int, int]:
        """(broker port, controller port) of node ``node`` (1-based) of the local cluster."""
        step = KAFKA_NODE_PORT_STEP * (node - 1)
        return self.kafka_port + step, self.kafka_controller_port + step

    @property
    def kafka_bootstrap(self) -> str:
        """Every broker of the cluster (a client still finds it with one node down), unless
        ``kafka_bootstrap_servers`` names a cluster claimflow does not run."""
        return self.kafka_bootstrap_servers or ",".join(
            f"{self.kafka_host}:{self.kafka_node_ports(n)[0]}"
            for n in range(1, self.kafka_nodes + 1)
        )

    @property
    def kafka_connection(self) -> KafkaConnection:
        """Every Kafka client's connection (``events.connection.client_kwargs``)."""
        password = None
        if self.kafka_sasl_password is not None:
            password = self.kafka_sasl_password.get_secret_value()
        elif self.kafka_sasl_password_file is not None:
            password = _read_secret(self.kafka_sasl_password_file, "kafka_sasl_password_file")
        return self._kafka_connection(password=password)

    def _kafka_password_given(self) -> str | None:
        # The file is read only when connecting; for validation its existence is enough.
        if self.kafka_sasl_password is not None or self.kafka_sasl_password_file is not None:
            return "given"
        return None

    def _kafka_connection(self, *, password: str | None) -> KafkaConnection:
        key_password = self.kafka_ssl_key_password
        try:
            return KafkaConnection(
                bootstrap=self.kafka_bootstrap,
                security_protocol=self.kafka_security_protocol,  # type: ignore[arg-type]
                sasl_mechanism=self.kafka_sasl_mechanism,  # type: ignore[arg-type]
                username=self.kafka_sasl_username,
                password=password,
                ca_file=self.kafka_ssl_ca_file,
                cert_file=self.kafka_ssl_cert_file,
                key_file=self.kafka_ssl_key_file,
                key_password=key_password.get_secret_value() if key_password else None,
                check_hostname=self.kafka_ssl_check_hostname,
            )
        except KafkaConfigError as exc:
            variable = f"CLAIMFLOW_KAFKA_{_KAFKA_FIELDS[exc.field].upper()}"
            raise ValueError(f"{variable}: {exc}") from exc

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def payer_url(self) -> str:
        return f"http://{self.payer_host}:{self.payer_port}"

    @property
    def temporal_ui_base(self) -> str:
        return self.temporal_ui_url or f"http://{self.temporal_host}:{self.temporal_ui_port}"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'claimflow.db'}"

    @property
    def x12_dir(self) -> Path:
        """Copies of every X12 file sent and received, and the file-exchange folders."""
        return self.state_dir / "x12"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or self.state_dir / "keys" / "data-keys.json"

    @property
    def resolved_signing_key_file(self) -> Path:
        return self.jwt_signing_key_file or self.state_dir / "keys" / "jwt-signing.pem"

    def topic(self, name: str) -> str:
        """Topic names carry an optional prefix so tests get topics of their own."""
        return f"{self.topic_prefix}{name}"


# KafkaConnection's fields and the settings (CLAIMFLOW_KAFKA_<name>) they come from.
_KAFKA_FIELDS = {
    "security_protocol": "security_protocol",
    "sasl_mechanism": "sasl_mechanism",
    "username": "sasl_username",
    "password": "sasl_password",
    "ca_file": "ssl_ca_file",
    "cert_file": "ssl_cert_file",
    "key_file": "ssl_key_file",
}


def _read_secret(path: Path, setting: str) -> str:
    """A secret mounted as a file (a Kubernetes Secret volume); trailing newline dropped."""
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ValueError(f"CLAIMFLOW_{setting.upper()}: cannot read {path}: {exc}") from exc


def secret_value(value: Any) -> Any:
    """A setting's value as it must be passed on (e.g. to a child's environment)."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def get_settings() -> Settings:
    return Settings()
