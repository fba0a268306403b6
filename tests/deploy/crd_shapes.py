"""JSON schemas for the prometheus-operator objects quotameter ships (monitoring.coreos.com/v1).

Not the operator's full CRD schemas: the fields those CRDs define for what we use, with
their types and patterns, and nothing else allowed, so a misspelt or misplaced field fails
here instead of being dropped by the API server. Written from the operator's API reference.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# The CRDs' pattern for durations (monitoringv1.Duration).
DURATION: Schema = {
    "type": "string",
    "pattern": (
        r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?"
        r"(([0-9]+)ms)?)$"
    ),
}
LABEL_NAME: Schema = {"type": "string", "pattern": r"^[a-zA-Z_][a-zA-Z0-9_]*$"}
STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}

METADATA: Schema = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253},
        "namespace": {"type": "string", "minLength": 1},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
    "additionalProperties": False,
}

LABEL_SELECTOR: Schema = {
    "type": "object",
    "properties": {
        "matchLabels": {**STRING_MAP, "minProperties": 1},
        "matchExpressions": {"type": "array"},
    },
    "additionalProperties": False,
    "minProperties": 1,
}

RELABEL: Schema = {
    "type": "object",
    "properties": {
        "action": {
            "enum": [
                "replace", "keep", "drop", "hashmod", "labelmap", "labeldrop", "labelkeep",
                "lowercase", "uppercase", "keepequal", "dropequal",
            ]
        },
        "sourceLabels": {"type": "array", "items": {"type": "string"}},
        "separator": {"type": "string"},
        "targetLabel": {"type": "string"},
        "regex": {"type": "string"},
        "modulus": {"type": "integer"},
        "replacement": {"type": "string"},
    },
    "additionalProperties": False,
}  # fmt: skip

ENDPOINT: Schema = {
    "type": "object",
    "required": ["port"],
    "properties": {
        "port": {"type": "string", "minLength": 1},
        "path": {"type": "string", "pattern": "^/"},
        "scheme": {"enum": ["http", "https"]},
        "interval": DURATION,
        "scrapeTimeout": DURATION,
        "honorLabels": {"type": "boolean"},
        "honorTimestamps": {"type": "boolean"},
        "relabelings": {"type": "array", "items": RELABEL},
        "metricRelabelings": {"type": "array", "items": RELABEL},
    },
    "additionalProperties": False,
}

SERVICE_MONITOR: Schema = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": LABEL_SELECTOR,
                "namespaceSelector": {
                    "type": "object",
                    "properties": {
                        "any": {"type": "boolean"},
                        "matchNames": {"type": "array", "items": {"type": "string"}},
                    },
                    "additionalProperties": False,
                },
                "jobLabel": {"type": "string"},
                "targetLabels": {"type": "array", "items": {"type": "string"}},
                "endpoints": {"type": "array", "minItems": 1, "items": ENDPOINT},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

_RULE_COMMON: Schema = {
    "expr": {"type": "string", "minLength": 1},
    "labels": {
        "type": "object",
        "propertyNames": LABEL_NAME,
        "additionalProperties": {"type": "string"},
    },
}
RULE: Schema = {
    "oneOf": [
        {
            "type": "object",
            "required": ["record", "expr"],
            "properties": {
                "record": {"type": "string", "pattern": r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"},
                **_RULE_COMMON,
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["alert", "expr"],
            "properties": {
                "alert": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9]*$"},
                "for": DURATION,
                "keep_firing_for": DURATION,
                "annotations": STRING_MAP,
                **_RULE_COMMON,
            },
            "additionalProperties": False,
        },
    ]
}

PROMETHEUS_RULE: Schema = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "metadata": METADATA,
        "spec": {
            "type": "object",
            "required": ["groups"],
            "properties": {
                "groups": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": DURATION,
                            "rules": {"type": "array", "minItems": 1, "items": RULE},
                        },
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

SHAPES = {"ServiceMonitor": SERVICE_MONITOR, "PrometheusRule": PROMETHEUS_RULE}
