"""A claimflow webhook receiver in the standard library alone: verify, de-duplicate, handle.

    python examples/webhook_receiver.py --port 9000 --secret whsec_...

Run `claimflow webhooks add http://127.0.0.1:9000/ --type 'claimflow.claim.*.v1'` to get the
secret. The verify() function is the one README.md shows.
"""

import argparse
import base64
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """True if the request is claimflow's, untampered and fresh (Standard Webhooks)."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > tolerance:
        return False  # too old (or too new): a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if "," in s]
    return any(hmac.compare_digest(expected, sig) for sig in offered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    seen: set[str] = set()  # delivery is at least once: de-duplicate on the event id

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if not verify(args.secret, self.headers, body):
                self.send_response(401)
            else:
                if self.headers["webhook-id"] not in seen:
                    seen.add(self.headers["webhook-id"])
                    event = json.loads(body)  # structured mode: the whole CloudEvent
                    print(event["id"], event["type"], event["data"]["status"], flush=True)
                self.send_response(204)  # any 2xx: delivered; anything else is retried
            self.end_headers()

    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
