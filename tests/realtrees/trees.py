"""Small workspaces with the shapes of big public trees: foreign options, dependencies under
``io/``, APIs of several orgs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

BUF_YAML = "version: v2\nmodules:\n  - path: protos\n"

EXTENDED_OPERATIONS = """syntax = "proto3";

package google.cloud;

import "google/protobuf/descriptor.proto";

extend google.protobuf.FieldOptions {
  // The field of a long-running operation's response.
  string operation_response_field = 1151;
  // The request field naming the operation.
  string operation_request_field = 1152;
  // The polling request field.
  string operation_polling_request_field = 1153;
}

extend google.protobuf.MethodOptions {
  // The polling service.
  string operation_service = 1249;
}
"""

COMPUTE = """syntax = "proto3";

package google.cloud.compute.v1;

import "google/cloud/extended_operations.proto";
import "google/protobuf/empty.proto";

// Operation is a long-running operation.
message Operation {
  // Name of the operation.
  optional string name = 1 [(google.cloud.operation_response_field) = "name"];
  // Status of the operation.
  optional string status = 2 [(google.cloud.operation_response_field) = "status"];
  // The zone.
  map<string, string> labels = 3 [(google.cloud.operation_polling_request_field) = "zone"];
}

// GetOperationRequest names an operation.
message GetOperationRequest {
  // The operation.
  string operation = 1 [(google.cloud.operation_request_field) = "operation"];
}

// ZoneOperations polls operations.
service ZoneOperations {
  // Get returns one operation.
  rpc Get(GetOperationRequest) returns (Operation) {
    option (google.cloud.operation_service) = "ZoneOperations";
  }
}
"""

PROMETHEUS = """syntax = "proto2";

package io.prometheus.client;

// Metric is one sample.
message Metric {
  // The value.
  optional double value = 1;
}
"""

ENVOY_STATS = """syntax = "proto3";

package envoy.service.metrics.v3;

import "io/prometheus/client/metrics.proto";

// StreamMetricsMessage carries metrics.
message StreamMetricsMessage {
  // The metrics.
  repeated io.prometheus.client.Metric envoy_metrics = 1;
}

// StreamMetricsResponse acknowledges.
message StreamMetricsResponse {}

// MetricsService receives metrics.
service MetricsService {
  // StreamMetrics receives a stream of metrics.
  rpc StreamMetrics(stream StreamMetricsMessage) returns (StreamMetricsResponse);
}
"""


def workspace(root: Path, files: Mapping[str, str], pyproject: str = "") -> Path:
    """A buf workspace at ``root`` holding ``files`` (import path → text) under protos/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "buf.yaml").write_text(BUF_YAML)
    if pyproject:
        (root / "pyproject.toml").write_text(pyproject)
    for name, text in files.items():
        path = root / "protos" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def python(code: str, cwd: Path, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``code`` run in a fresh Python with ``path`` first on sys.path."""
    env = {**os.environ, "PYTHONPATH": str(path)}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
