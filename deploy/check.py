"""Checks of the deploy files that schemas cannot make: do they agree with the code?

Run by ``make deploy-check`` after the chart is rendered and schema-validated:

- every ``CLAIMFLOW_*`` variable the rendered chart sets is a real setting
  (``services.settings.Settings``), so a renamed setting cannot silently stop applying;
- the Strimzi topics are exactly the event contract's (``events.topics``), replicated 3 with
  ``min.insync.replicas`` 2, only the state topic compacted, with the partition count the
  chart gives the processes;
- the Strimzi cluster keeps ``min.insync.replicas`` 2 of 3 by default.

The Strimzi resources are also validated against Strimzi's CRD schemas by
``deploy/strimzi/schema-check`` (Node), fed by ``--strimzi-json``.
Usage: python deploy/check.py RENDERED.yaml... (exit 1 with one line per problem)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from events import topics  # noqa: E402
from services.settings import Settings  # noqa: E402

STRIMZI = ROOT / "deploy" / "strimzi"
CHART_VALUES = ROOT / "deploy" / "helm" / "claimflow" / "values.yaml"


def documents(path: Path) -> Iterator[dict[str, Any]]:
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict):
            yield doc


def _env_names(doc: dict[str, Any]) -> Iterator[str]:
    pod = doc.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for env in container.get("env", []):
            yield env["name"]


def env_problems(rendered: Iterable[dict[str, Any]]) -> list[str]:
    known = {f"CLAIMFLOW_{name.upper()}" for name in Settings.model_fields}
    return [
        f"{doc['kind']}/{doc['metadata']['name']}: {name} is not a claimflow setting"
        for doc in rendered
        for name in _env_names(doc)
        if name.startswith("CLAIMFLOW_") and name not in known
    ]


def strimzi_problems(strimzi_docs: list[dict[str, Any]], partitions: int) -> list[str]:
    problems = []
    for doc in strimzi_docs:
        if not doc.get("apiVersion", "").startswith("kafka.strimzi.io/"):
            problems.append(f"{doc.get('kind')}: {doc.get('apiVersion')} is not a Strimzi API")
    found = {d["metadata"]["name"]: d for d in strimzi_docs if d["kind"] == "KafkaTopic"}
    wanted = {spec.name: spec for spec in topics.ALL_TOPICS}
    for name in sorted(set(wanted) ^ set(found)):
        where = "has no KafkaTopic" if name in wanted else "is not in events/topics.py"
        problems.append(f"topic {name} {where}")
    for name, doc in found.items():
        spec = doc["spec"]
        config = spec.get("config", {})
        if spec.get("replicas") != 3:
            problems.append(f"topic {name}: replicas {spec.get('replicas')}, want 3")
        if int(config.get("min.insync.replicas", 0)) != 2:
            problems.append(f"topic {name}: min.insync.replicas must be 2")
        if spec.get("partitions") != partitions:
            problems.append(
                f"topic {name}: {spec.get('partitions')} partitions but the chart tells the "
                f"processes {partitions} (kafka.topics.partitions)"
            )
        compacted = config.get("cleanup.policy") == "compact"
        if name in wanted and compacted != wanted[name].compacted:
            problems.append(f"topic {name}: compacted is {compacted}, events/topics.py says not")
    for doc in strimzi_docs:
        if doc["kind"] == "Kafka":
            config = doc["spec"]["kafka"].get("config", {})
            if int(config.get("min.insync.replicas", 0)) != 2:
                problems.append("Kafka: min.insync.replicas must be 2")
            if int(config.get("default.replication.factor", 0)) != 3:
                problems.append("Kafka: default.replication.factor must be 3")
    return problems


def strimzi_json() -> str:
    """The Strimzi resources as one JSON array, for the CRD-schema check (Node)."""
    import json

    return json.dumps([doc for path in sorted(STRIMZI.glob("*.yaml")) for doc in documents(path)])


def main(rendered_files: list[str]) -> int:
    rendered = [doc for name in rendered_files for doc in documents(Path(name))]
    strimzi = [doc for path in sorted(STRIMZI.glob("*.yaml")) for doc in documents(path)]
    partitions = yaml.safe_load(CHART_VALUES.read_text())["kafka"]["topics"]["partitions"]
    problems = env_problems(rendered) + strimzi_problems(strimzi, partitions)
    for problem in problems:
        print(f"deploy-check: {problem}", file=sys.stderr)
    kinds = sorted({doc["kind"] for doc in strimzi})
    print(
        f"deploy-check: {len(rendered)} rendered resources use only real settings; "
        f"Strimzi {', '.join(kinds)} agree with the event contract"
        if not problems
        else f"deploy-check: {len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--strimzi-json"]:
        print(strimzi_json())
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
