"""What a rule does when it hits. Actions are data: the rules engine only says which actions
apply; the order handlers carry them out (hold the order, add the tag, ...) in the same
transaction that records the hit on the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from conveyor.automation.conditions import Invalid

# The routing strategies of `conveyor.routing.strategies.STRATEGIES` (named here so automation
# does not import routing; a unit test keeps the two lists equal).
ROUTE_STRATEGIES = ("priority", "nearest", "fewest_splits", "lowest_cost", "optimal")
PRIORITIES = ("low", "normal", "high", "urgent")
STAFF_CHANNELS = ("email", "webhook")
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Param:
    kind: str  # "text" (non-empty, at most MAX_TEXT characters) or "choice"
    required: bool = True
    choices: tuple[str, ...] = ()


ACTIONS: dict[str, dict[str, Param]] = {
    "hold": {"reason": Param("text")},
    "tag": {"tag": Param("text")},
    "set_priority": {"priority": Param("choice", choices=PRIORITIES)},
    "route_strategy": {"strategy": Param("choice", choices=ROUTE_STRATEGIES)},
    "route_location": {"location": Param("text")},
    "carrier_service": {"carrier": Param("text"), "service": Param("text")},
    "require_review": {"reason": Param("text")},
    "notify_staff": {"channel": Param("choice", choices=STAFF_CHANNELS), "to": Param("text"),
                     "message": Param("text")},
    "add_note": {"note": Param("text")},
}


@dataclass(frozen=True, slots=True)
class Action:
    type: str
    params: MappingProxyType[str, str]

    def as_json(self) -> dict[str, str]:
        return {"type": self.type, **self.params}


def parse_action(doc: Any, path: str) -> Action:
    if not isinstance(doc, dict):
        raise Invalid(path, "an action must be an object with a type")
    kind = doc.get("type")
    spec = ACTIONS.get(kind) if isinstance(kind, str) else None
    if spec is None or not isinstance(kind, str):
        raise Invalid(f"{path}.type", f"unknown action {kind!r}; known: {', '.join(ACTIONS)}")
    if extra := sorted(set(doc) - {"type"} - set(spec)):
        raise Invalid(f"{path}.{extra[0]}", f"unexpected for {kind}; it takes {', '.join(spec) or 'nothing'}")
    params: dict[str, str] = {}
    for name, param in spec.items():
        if name not in doc:
            if param.required:
                raise Invalid(f"{path}.{name}", f"{kind} needs {name}")
            continue
        params[name] = _param(doc[name], param, f"{path}.{name}")
    return Action(kind, MappingProxyType(params))


def _param(value: Any, param: Param, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(path, f"expected a non-empty string, got {value!r}")
    if param.kind == "choice" and value not in param.choices:
        raise Invalid(path, f"{value!r} is not one of {', '.join(param.choices)}")
    if len(value) > MAX_TEXT:
        raise Invalid(path, f"at most {MAX_TEXT} characters")
    return value
