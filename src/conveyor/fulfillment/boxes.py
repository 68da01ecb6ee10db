"""Box suggestion: the smallest configured box the items fit in, else several boxes.

The fit test is a layer-and-shelf packing with item rotation: units are laid in horizontal
layers; within a layer, in rows ("shelves") across the box floor. Each unit may be turned any of
its six ways. It is conservative — when it says the items fit, they do (no overlaps, nothing
sticks out) — but it may miss a clever arrangement, so boxes are never over-filled in practice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import permutations

from conveyor.shared.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Box:
    code: str
    length_mm: int  # inner dimensions
    width_mm: int
    height_mm: int
    max_weight_grams: int | None = None
    tare_grams: int = 0

    @property
    def volume(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True, slots=True)
class PackItem:
    sku: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_grams: int
    quantity: int = 1

    @property
    def unit_volume(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True, slots=True)
class SuggestedPackage:
    box: Box
    contents: tuple[tuple[str, int], ...]  # (sku, units)
    weight_grams: int  # items + box tare


@dataclass(frozen=True, slots=True)
class BoxSuggestion:
    packages: tuple[SuggestedPackage, ...]
    unpackable: tuple[tuple[str, int], ...] = ()  # units too large or heavy for every box

    @property
    def single_box(self) -> Box | None:
        return self.packages[0].box if len(self.packages) == 1 and not self.unpackable else None


@dataclass(slots=True)
class _Shelf:
    used_length: int
    depth: int


@dataclass(slots=True)
class _Layer:
    height: int
    used_width: int = 0
    shelves: list[_Shelf] = field(default_factory=list)


Turn = tuple[int, int, int]  # (along the shelf, shelf depth, height)

# Which way up to try first. Each is a complete packing attempt; the items fit if one succeeds.
# Flattest first leaves most room above; shortest-along-the-shelf puts more units in a row;
# standing up suits tall boxes.
PREFERENCES = (
    lambda t: (t[2], t[1], t[0]),
    lambda t: (t[2], t[0], t[1]),
    lambda t: (-t[2], t[1], t[0]),
)


class _Packer:
    """Places units one by one into one box; `place` returns False when a unit does not fit."""

    def __init__(self, box: Box, preference: int = 0) -> None:
        self.box = box
        self.preference = PREFERENCES[preference]
        self.layers: list[_Layer] = []
        self.used_height = 0
        self.weight = box.tare_grams

    def place(self, item: PackItem) -> bool:
        if self.box.max_weight_grams is not None and self.weight + item.weight_grams > self.box.max_weight_grams:
            return False
        turns = sorted(set(permutations((item.length_mm, item.width_mm, item.height_mm))), key=self.preference)
        for layer in self.layers:
            for length, width, height in turns:
                if height <= layer.height and self._into_layer(layer, length, width):
                    self.weight += item.weight_grams
                    return True
        for length, width, height in turns:
            if length <= self.box.length_mm and width <= self.box.width_mm \
                    and self.used_height + height <= self.box.height_mm:
                layer = _Layer(height)
                self.layers.append(layer)
                self.used_height += height
                self._into_layer(layer, length, width)
                self.weight += item.weight_grams
                return True
        return False

    def _into_layer(self, layer: _Layer, length: int, width: int) -> bool:
        for shelf in layer.shelves:
            if width <= shelf.depth and shelf.used_length + length <= self.box.length_mm:
                shelf.used_length += length
                return True
        if length <= self.box.length_mm and layer.used_width + width <= self.box.width_mm:
            layer.shelves.append(_Shelf(length, width))
            layer.used_width += width
            return True
        return False


def _units(items: Iterable[PackItem]) -> list[PackItem]:
    units = [item for item in items for _ in range(item.quantity)]
    if any(min(u.length_mm, u.width_mm, u.height_mm) <= 0 or u.weight_grams < 0 for u in units):
        raise ValidationFailed("every item needs positive dimensions and a weight")
    # Largest first: big units placed early leave small ones to fill the gaps.
    return sorted(units, key=lambda u: (u.unit_volume, max(u.length_mm, u.width_mm, u.height_mm)), reverse=True)


def fits(units: Sequence[PackItem], box: Box) -> bool:
    if sum(u.unit_volume for u in units) > box.volume:
        return False
    for preference in range(len(PREFERENCES)):
        packer = _Packer(box, preference)
        if all(packer.place(u) for u in units):
            return True
    return False


def _contents(units: Sequence[PackItem]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit.sku] = counts.get(unit.sku, 0) + 1
    return tuple(counts.items())


def _package(units: Sequence[PackItem], box: Box) -> SuggestedPackage:
    return SuggestedPackage(box, _contents(units), box.tare_grams + sum(u.weight_grams for u in units))


def suggest_box(items: Iterable[PackItem], boxes: Iterable[Box]) -> BoxSuggestion:
    """The smallest box (by volume, then tare) that holds every unit; if none does, fill the
    largest box first-fit until everything is placed, then shrink each package to the smallest
    box that still holds it. Units that fit no box at all are reported as unpackable."""
    ordered = sorted(boxes, key=lambda b: (b.volume, b.tare_grams, b.code))
    if not ordered:
        raise ValidationFailed("no box sizes are configured")
    units = _units(items)
    for box in ordered:
        if fits(units, box):
            return BoxSuggestion((_package(units, box),))
    packable: list[PackItem] = []
    unpackable: list[PackItem] = []
    for unit in units:
        (packable if any(fits([unit], b) for b in ordered) else unpackable).append(unit)
    return _split(packable, ordered, _contents(unpackable))


def _split(units: list[PackItem], ordered: list[Box], unpackable: tuple[tuple[str, int], ...]) -> BoxSuggestion:
    largest = max(ordered, key=lambda b: (b.volume, -b.tare_grams))
    packages: list[SuggestedPackage] = []
    while units:
        packer = _Packer(largest)
        inside: list[PackItem] = []
        left: list[PackItem] = []
        for unit in units:
            (inside if packer.place(unit) else left).append(unit)
        if not inside:  # fits some box alone but not the largest (weight limits differ): own box
            inside, left = [units[0]], units[1:]
        box = next(b for b in ordered if fits(inside, b))
        packages.append(_package(inside, box))
        units = left
    return BoxSuggestion(tuple(packages), unpackable)
