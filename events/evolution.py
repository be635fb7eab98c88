"""Contract evolution: is the current event schema a compatible successor of a release?

Every released v1 contract keeps its JSON Schemas under ``events/schemas/v1/<release>/``.
Consumers are built on some release and keep running while we ship newer ones, and new
consumers replay history and the compacted state topic, which hold events of every older
release. So a change must work both ways:

- a consumer on an older release reads new events: no field may be removed, no type may
  change;
- a consumer on the new release reads old events: no field may become required (old events
  lack it), no type may narrow, and no enumerated value may disappear (history and the
  state topic still carry it).

Enumerations (a claim's ``status``, an alert's ``kind``) are open: a new status or alert
kind is an additive change within v1, and the contract tells consumers to treat a value
they do not know as "another status" rather than reject the event (the evolution test
validates new events against every release the way such a consumer reads). Adding an
optional field or an enumerated value are the changes that keep both directions; anything
else is a breaking change, which in this contract means a new ``v2`` event type on new
``.v2`` topics.

The checker walks both schemas (following local ``$ref`` and ``anyOf``/``oneOf``), so it
needs no knowledge of our models; its unit tests prove it catches each kind of break.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Schema = dict[str, Any]

RELEASES_DIR = Path(__file__).parent / "schemas" / "v1"
# The files a release keeps: the event envelopes consumers read.
EVENT_SCHEMAS = ("claim-event.v1.json", "claim-alert.v1.json")


@dataclass(frozen=True)
class Break:
    path: str
    kind: str  # "removed", "type", "required"
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.kind}: {self.detail}"


def _resolve(node: Schema, root: Schema) -> Schema:
    """The node with a local ``$ref`` replaced by its target (siblings kept)."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or circular $ref {ref!r}")
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _variants(node: Schema, root: Schema) -> list[Schema]:
    """The alternatives a value may take: ``anyOf``/``oneOf`` flattened, refs resolved."""
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [v for sub in node[key] for v in _variants(sub, root)]
    return [node]


def _kind(node: Schema) -> str:
    """What a variant is, as far as a reader cares: its type, and a string's format."""
    kind = node.get("type")
    if kind is None:
        if "const" in node or "enum" in node:
            values = node.get("enum", [node.get("const")])
            kind = {type(v).__name__ for v in values}.pop() if values else "any"
            kind = {"str": "string", "int": "integer", "float": "number"}.get(kind, kind)
        else:
            kind = "object" if "properties" in node else "any"
    if isinstance(kind, list):
        kind = "|".join(sorted(kind))
    if kind == "string" and "format" in node:
        return f"string:{node['format']}"
    return str(kind)


def _values(node: Schema) -> set[str] | None:
    if "enum" in node:
        return {json.dumps(v) for v in node["enum"]}
    if "const" in node:
        return {json.dumps(node["const"])}
    return None


def breaking_changes(old: Schema, new: Schema) -> list[Break]:
    """Every way ``new`` breaks a consumer of ``old`` (empty when compatible)."""
    found: list[Break] = []
    _compare(old, new, old, new, "", found)
    return found


def _compare(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, out: list[Break]
) -> None:
    old_vs = {_kind(v): v for v in _variants(old, old_root)}
    new_vs = {_kind(v): v for v in _variants(new, new_root)}
    if set(old_vs) != set(new_vs):
        out.append(Break(path, "type", f"was {sorted(old_vs)}, now {sorted(new_vs)}"))
    for kind in sorted(set(old_vs) & set(new_vs)):
        o, n = old_vs[kind], new_vs[kind]
        before, after = _values(o), _values(n)
        if before is None and after is not None:
            out.append(Break(path, "type", f"any value was allowed, now only {sorted(after)}"))
        elif before is not None and after is not None and before - after:
            out.append(Break(path, "value removed", f"no longer allowed: {sorted(before - after)}"))
        if kind == "object":
            _compare_objects(o, n, old_root, new_root, path, out)
        elif kind == "array" and "items" in o and "items" in n:
            _compare(o["items"], n["items"], old_root, new_root, f"{path}[]", out)


def _compare_objects(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, out: list[Break]
) -> None:
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    for name in sorted(set(old_props) - set(new_props)):
        out.append(Break(f"{path}.{name}".lstrip("."), "removed", "field removed"))
    for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        out.append(Break(f"{path}.{name}".lstrip("."), "required", "field is newly required"))
    for name in sorted(set(old_props) & set(new_props)):
        sub = f"{path}.{name}".lstrip(".")
        _compare(old_props[name], new_props[name], old_root, new_root, sub, out)


def release_versions(releases_dir: Path = RELEASES_DIR) -> list[str]:
    """The released contract versions, oldest first (semantic version order)."""
    if not releases_dir.is_dir():
        return []
    found = [p.name for p in releases_dir.iterdir() if (p / EVENT_SCHEMAS[0]).is_file()]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def load_release(version: str, releases_dir: Path = RELEASES_DIR) -> dict[str, Schema]:
    folder = releases_dir / version
    return {name: json.loads((folder / name).read_text()) for name in EVENT_SCHEMAS}


def check_against_releases(
    current: dict[str, Schema], releases_dir: Path = RELEASES_DIR
) -> dict[str, list[Break]]:
    """For each release and schema file, the breaks of ``current`` (only non-empty ones)."""
    problems: dict[str, list[Break]] = {}
    for version in release_versions(releases_dir):
        for name, old in load_release(version, releases_dir).items():
            breaks = breaking_changes(old, current[name])
            if breaks:
                problems[f"{version}/{name}"] = breaks
    return problems
