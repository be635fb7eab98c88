"""The HTTP API: intake, status, listing, human actions and payer files.

One router per concern (``claims``, ``actions``, ``fhir``, ``x12``); ``app.create_app``
assembles them with the clients they share.
"""

from services.api.app import create_app

__all__ = ["create_app"]
