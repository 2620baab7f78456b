"""The signature scheme of deliveries (pure functions; the README's verifier mirrors them).

Header `Polyphony-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256 with the endpoint's secret over `<t>.` followed by the raw body.
Signing the timestamp with the body lets a receiver refuse replays: it checks
the signature, then that `t` is recent (five minutes by default).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Polyphony-Signature"
TOLERANCE_S = 300


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
