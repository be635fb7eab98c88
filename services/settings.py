"""Process configuration, read once from ``CLAIMFLOW_*`` environment variables.

Every port and path has an embedded default so that ``make run`` needs no configuration;
tests override them to run a stack of their own beside a developer's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


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

    # Kafka
    kafka_host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    kafka_heap: str = "512m"
    topic_prefix: str = ""
    topic_partitions: int = 3
    topic_replication_factor: int = 1
    topic_min_insync_replicas: int = 1

    # Database: SQLite under the state dir unless a URL is given (e.g. PostgreSQL).
    database_url: str | None = None

    # HTTP services
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    payer_host: str = "127.0.0.1"
    payer_port: int = 8100
    # Seconds the payer simulator waits before it sends an adjudication back.
    payer_delay_seconds: float = 1.0

    # How claims reach payers: "x12" (837P over HTTP to the payer simulator, answers come
    # back as X12 files), "file" (837P files in an outbound folder, answers picked up from an
    # inbound folder) or "json" (the simulator's JSON API, no X12).
    payer_gateway: str = "x12"
    x12_sender_id: str = "CLAIMFLOW"
    x12_receiver_id: str = "SIMPAYER"
    x12_usage: str = "T"

    # Consumer group of the read-model projector.
    projector_group: str = "claimflow-projector"

    postgres_port: int = 5432
    postgres_db: str = "claimflow"

    # The console. Until sign-in exists, every viewer has these roles (comma-separated: ops,
    # biller, coder); ``services.console.roles.viewer_roles`` is the one place that reads it.
    console_roles: str = "ops,biller,coder"
    # Where the claim page links a workflow; empty: the local dev server's UI.
    temporal_ui_url: str = ""
    # The API process follows the topics to push live updates to open pages.
    live_updates: bool = True
    # Uploaded attachments: largest accepted file.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # ``?wait=true`` on an action: longest wait for the claim's next resting status.
    action_wait_seconds: float = 30.0

    @property
    def temporal_address(self) -> str:
        return f"{self.temporal_host}:{self.temporal_port}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

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

    def topic(self, name: str) -> str:
        """Topic names carry an optional prefix so tests get topics of their own."""
        return f"{self.topic_prefix}{name}"


def get_settings() -> Settings:
    return Settings()
