"""deploy/check.py: the deploy files must agree with the code, and it says where they do not."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from services.settings import REPO_ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_check", REPO_ROOT / "deploy/check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load()
STRIMZI = [
    doc for p in sorted((REPO_ROOT / "deploy/strimzi").glob("*.yaml")) for doc in check.documents(p)
]
PARTITIONS = yaml.safe_load((REPO_ROOT / "deploy/helm/claimflow/values.yaml").read_text())["kafka"][
    "topics"
]["partitions"]


def _topic(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "KafkaTopic" and d["metadata"]["name"] == name)


def test_the_strimzi_manifests_agree_with_the_event_contract() -> None:
    assert check.strimzi_problems(STRIMZI, PARTITIONS) == []
    state = _topic(STRIMZI, "claims.state.v1")
    assert state["spec"]["config"]["cleanup.policy"] == "compact"


def test_a_drifted_topic_is_named() -> None:
    docs = copy.deepcopy(STRIMZI)
    _topic(docs, "claims.state.v1")["spec"]["config"]["cleanup.policy"] = "delete"
    _topic(docs, "claims.lifecycle.v1")["spec"]["replicas"] = 1
    _topic(docs, "claims.alerts.v1")["spec"]["config"]["min.insync.replicas"] = 1
    docs = [d for d in docs if d["metadata"]["name"] != "claims.dlq.v1"]
    problems = check.strimzi_problems(docs, PARTITIONS)
    assert "topic claims.state.v1: compacted is False, events/topics.py says not" in problems
    assert "topic claims.lifecycle.v1: replicas 1, want 3" in problems
    assert "topic claims.alerts.v1: min.insync.replicas must be 2" in problems
    assert "topic claims.dlq.v1 has no KafkaTopic" in problems
    assert any("partitions but the chart" in p for p in check.strimzi_problems(STRIMZI, 12))


def test_an_unknown_setting_in_the_chart_is_named() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "claimflow-worker"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "env": [
                                {"name": "CLAIMFLOW_LOG_LEVEL", "value": "INFO"},
                                {"name": "CLAIMFLOW_KAFKA_PASSWORD", "value": "x"},
                                {"name": "OTHER", "value": "y"},
                            ]
                        }
                    ]
                }
            }
        },
    }
    assert check.env_problems([deployment]) == [
        "Deployment/claimflow-worker: CLAIMFLOW_KAFKA_PASSWORD is not a claimflow setting"
    ]


def test_main_fails_on_a_problem(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(
        "kind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: "
        "[{env: [{name: CLAIMFLOW_NOPE, value: '1'}]}]}}}\n"
    )
    assert check.main([str(rendered)]) == 1
