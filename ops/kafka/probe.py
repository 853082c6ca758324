#!/usr/bin/env python3
"""Standard-library readiness probe for the Kafka 4 broker: an ApiVersions v0 round trip.

    python3 ops/kafka/probe.py 127.0.0.1 9092     # exit 0 = serving, prints the API ranges count

ApiVersions v0 is the one request every broker must answer (clients send it first to
negotiate). A KRaft broker starts accepting on its client listener only once it has caught
up with the metadata log and been unfenced, so any answer means ready. ops/stack.py's older
Metadata v0 probe also still works on 4.4 (Metadata 0-13 is served), but Kafka 4 already
dropped other v0 requests (Produce below 3, Fetch below 4, OffsetCommit below 2).
"""

from __future__ import annotations

import socket
import struct
import sys


def api_versions(host: str, port: int, timeout: float = 2.0) -> dict[int, tuple[int, int]] | None:
    """{api_key: (min, max)} from the broker, or None when it does not answer (yet)."""
    client_id = b"stack-probe"
    body = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(body)) + body)
            payload = b""
            need = 4
            while len(payload) < need:
                chunk = sock.recv(need - len(payload))
                if not chunk:
                    return None
                payload += chunk
                if need == 4 and len(payload) == 4:
                    need = 4 + struct.unpack(">i", payload)[0]
    except OSError:
        return None
    correlation, error, count = struct.unpack(">ihi", payload[4:14])
    if correlation != 7 or error != 0:
        return None
    ranges = {}
    for i in range(count):
        key, low, high = struct.unpack(">hhh", payload[14 + 6 * i : 20 + 6 * i])
        ranges[key] = (low, high)
    return ranges


def kafka_ready(host: str, port: int) -> bool:
    return bool(api_versions(host, port))


if __name__ == "__main__":
    found = api_versions(
        sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1",
        int(sys.argv[2]) if len(sys.argv) > 2 else 9092,
    )
    if not found:
        print("not ready")
        sys.exit(1)
    print(f"ready: {len(found)} APIs; Fetch {found.get(1)}, Metadata {found.get(3)}")
