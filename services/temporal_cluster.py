"""How a process reaches a Temporal cluster: TLS (server CA, mTLS client cert) and API key.

Kept apart from ``services.temporal.connect`` so that the connection's security and its data
converter can change independently. The local dev server needs none of it: with no setting
given the result is plaintext and no credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporalio.service import TLSConfig

from services.settings import Settings


def _read(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"CLAIMFLOW_{setting.upper()}: cannot read {path}: {exc}") from exc


def tls_config(settings: Settings) -> TLSConfig | bool:
    """False for plaintext; True for TLS with the system's CAs; a TLSConfig otherwise."""
    if (settings.temporal_tls_cert_file is None) != (settings.temporal_tls_key_file is None):
        missing = "key" if settings.temporal_tls_key_file is None else "cert"
        raise ValueError(
            f"CLAIMFLOW_TEMPORAL_TLS_{missing.upper()}_FILE: mutual TLS needs both the client "
            "certificate and its key"
        )
    files = (
        settings.temporal_tls_ca_file,
        settings.temporal_tls_cert_file,
        settings.temporal_tls_server_name,
    )
    if not any(files):
        return settings.temporal_tls
    return TLSConfig(
        server_root_ca_cert=_read(settings.temporal_tls_ca_file, "temporal_tls_ca_file"),
        client_cert=_read(settings.temporal_tls_cert_file, "temporal_tls_cert_file"),
        client_private_key=_read(settings.temporal_tls_key_file, "temporal_tls_key_file"),
        domain=settings.temporal_tls_server_name,
    )


def api_key(settings: Settings) -> str | None:
    """Temporal Cloud's API key, from the setting or from a mounted secret file."""
    if settings.temporal_api_key is not None:
        return settings.temporal_api_key.get_secret_value()
    key = _read(settings.temporal_api_key_file, "temporal_api_key_file")
    return key.decode().strip() if key is not None else None


def cluster_options(settings: Settings) -> dict[str, Any]:
    """``Client.connect`` keyword arguments for TLS and the API key.

    An API key without TLS would send the key in the clear, so an API key turns TLS on
    (Temporal Cloud refuses plaintext anyway).
    """
    key = api_key(settings)
    tls = tls_config(settings)
    if key is not None and tls is False:
        tls = True
    return {"tls": tls, "api_key": key}
