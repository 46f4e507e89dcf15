"""A proxyless gRPC C-core client (Debian's python3-grpcio) as a driver process.

DriverCommand lines on stdin, CallResult lines on stdout (see test/e2e/harness.ts). The bootstrap
comes from GRPC_XDS_BOOTSTRAP_CONFIG. Run with /usr/bin/python3 (the system one that has grpcio).
"""
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc

# One channel per target, kept for the life of the driver (as an application would).
channels = {}


def channel_for(target):
    if target not in channels:
        channels[target] = grpc.insecure_channel(target)
    return channels[target]


def unary(stub, body, timeout_s, wait_for_ready):
    start = time.monotonic()
    try:
        answer = stub(body, timeout=timeout_s, wait_for_ready=wait_for_ready)
        return "OK", answer.decode(), None, (time.monotonic() - start) * 1000
    except grpc.RpcError as error:
        return error.code().name, None, error.details(), (time.monotonic() - start) * 1000


def call(command):
    # No serializers: request and response are raw bytes.
    stub = channel_for(command["target"]).unary_unary(command["method"])
    n = command["n"]
    timeout_s = command.get("timeoutMs", 5000) / 1000
    wait_for_ready = command.get("waitForReady", False)
    batch = uuid.uuid4().hex
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, min(command.get("concurrency", 20), n))) as pool:
        outcomes = list(pool.map(lambda i: unary(stub, f"{batch}-{i}".encode(), timeout_s, wait_for_ready), range(n)))
    answers, codes, max_ms, details = {}, {}, {}, {}
    for code, answer, detail, ms in outcomes:
        codes[code] = codes.get(code, 0) + 1
        max_ms[code] = max(max_ms.get(code, 0), round(ms))
        if answer is not None:
            answers[answer] = answers.get(answer, 0) + 1
        if detail is not None:
            details.setdefault(code, detail)
    return {"answers": answers, "codes": codes, "maxMs": max_ms, "details": details, "ms": round((time.monotonic() - start) * 1000)}


def write(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    write({"ready": {"client": f"grpcio {grpc.__version__} (C-core)"}})
    for line in sys.stdin:
        try:
            write(call(json.loads(line)))
        except Exception as error:  # the harness shows it as the command's failure
            write({"error": f"{type(error).__name__}: {error}"})
    for channel in channels.values():
        channel.close()
    # grpcio's threads can hold the interpreter at exit; the work is done.
    os._exit(0)


main()
