"""Schemathesis hooks for scripts/schemathesis: plugin uploads are raw
component bytes (`application/wasm`), sent like any binary body."""

import schemathesis

schemathesis.serializer.alias("application/wasm", "application/octet-stream")
