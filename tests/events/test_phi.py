"""Every field of every event model has a PHI class, and the AsyncAPI document shows it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from events import asyncapi
from events.phi import BASES, CLASSIFICATION, Phi


def test_every_field_of_every_event_model_is_classified() -> None:
    for model, classes in CLASSIFICATION.items():
        assert set(classes) == set(model.model_fields), f"{model.__name__}: classify every field"
    for base in BASES:
        assert any(issubclass(m, base) for m in CLASSIFICATION)


def test_every_nested_model_is_classified() -> None:
    """A model reachable from an event (a new nested type) must be in the table too."""

    def nested(model: type[BaseModel]) -> set[type[BaseModel]]:
        found = set()
        for field in model.model_fields.values():
            for arg in getattr(field.annotation, "__args__", ()) + (field.annotation,):
                inner = getattr(arg, "__args__", (arg,))
                for candidate in inner:
                    if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                        found |= {candidate} | nested(candidate)
        return found

    reachable = set().union(*(nested(m) for m in CLASSIFICATION))
    assert reachable <= set(CLASSIFICATION)


def test_the_asyncapi_document_marks_every_property() -> None:
    doc: dict[str, Any] = asyncapi.document()
    for name, schema in doc["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("x-phi") in {p.value for p in Phi}, f"{name}.{field}"
    data = doc["components"]["schemas"]["ClaimEventData"]["properties"]
    assert data["diagnosis_codes"]["x-phi"] == "health"
    assert data["claim_id"]["x-phi"] == "pseudonymous-id"
    assert data["reason"]["x-phi"] == "free-text"
