"""Which column is which field when the importer does not know a ledger's headers (issue 17,
case 9): ``--map "列名=字段"`` on the command line, the mapping step of the preview, and the
mappings saved per city, offered again for the next file whose header row is the same."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from keyprojects.core.audit import acting_as, recorded

from .layout import COLUMNS, UNIT_FACTORS, normalise_header

IGNORE = ""  # a column mapped to nothing: read as no field
# How a user names a field: its label (or a part of it: 所在县区/建设地点), its internal name, or 忽略.
FIELD_NAMES: dict[str, str] = {"忽略": IGNORE, "无": IGNORE}
for _name, _pattern, _label in COLUMNS:
    FIELD_NAMES.setdefault(_name, _name)
    FIELD_NAMES.setdefault(normalise_header(_label), _name)
    for _part in _label.split("/"):
        FIELD_NAMES.setdefault(normalise_header(_part), _name)
LABELS = {name: label for name, _pattern, label in COLUMNS}
UNIT = re.compile(r"^(?P<field>.+?)\s*(?:[（(]\s*(?P<unit>亿元|万元|元)\s*[)）]|[:：@]\s*(?P<unit2>亿元|万元|元))$")
LETTER = re.compile(r"^[A-Z]{1,3}$")


class MappingError(ValueError):
    """A mapping the importer cannot follow; the message names the column, in Chinese."""


def target(column: str, wanted: str) -> tuple[str, str]:
    """``(field, unit)`` for ``column=wanted`` (``总投资（亿元）`` or ``总投资:亿元`` carries the unit)."""
    spec = wanted.strip()
    unit = ""
    found = UNIT.match(spec)
    if found:
        spec, unit = found.group("field"), found.group("unit") or found.group("unit2")
    key = normalise_header(spec)
    if key not in FIELD_NAMES:
        choices = "、".join(sorted({LABELS[f] for f in FIELD_NAMES.values() if f}, key=list(LABELS.values()).index))
        raise MappingError(f"列“{column}”对应的字段“{wanted}”不存在：可选 {choices}，或“忽略”")
    return FIELD_NAMES[key], unit


def parse(specs: list[str]) -> dict[str, str]:
    """``["projectName=项目名称", "totalInvestment=总投资（亿元）"]`` -> header -> ``field[:unit]``;
    a column named twice, or two columns named for one field, is refused naming them."""
    mapping: dict[str, str] = {}
    for spec in specs:
        column, sep, wanted = spec.partition("=")
        column = normalise_header(column)
        if not sep or not column:
            raise MappingError(f"“{spec}”的格式应为“列名=字段”，如 projectName=项目名称")
        field, unit = target(column, wanted)
        if column in mapping:
            raise MappingError(f"列“{column}”对应了两次")
        mapping[column] = f"{field}:{unit}" if unit else field
    return check(mapping)


def check(mapping: dict[str, str]) -> dict[str, str]:
    """Two columns for one field is refused, naming both columns."""
    by_field: dict[str, str] = {}
    for column, wanted in mapping.items():
        field = wanted.split(":")[0]
        if field and field in by_field:
            raise MappingError(f"列“{by_field[field]}”和列“{column}”都对应到“{LABELS[field]}”：一个字段只能对应一列")
        by_field[field] = column
    return mapping


def field_and_factor(wanted: str) -> tuple[str | None, Any]:
    field, _sep, unit = wanted.partition(":")
    return (field or None), (UNIT_FACTORS[unit] if unit else None)


def signature(row: list[Any]) -> str:
    """A header row's shape: its filled cells, without spaces, in order (not the title above it,
    which changes every month)."""
    cells = [normalise_header(v) for v in row]
    if sum(1 for c in cells if c) < 2:
        return ""
    return hashlib.sha1("|".join(cells).rstrip("|").encode()).hexdigest()


def saved_for(city: Any, rows: Sequence[list[Any]]) -> Any:
    """The city's saved mapping for a sheet whose header (among its first 20 rows) has a saved shape."""
    from .models import ColumnMapping

    if city is None:
        return None
    signatures = [s for row in rows[:20] if (s := signature(row))]
    return ColumnMapping.objects.filter(region=city, signature__in=signatures).order_by("-updated_at").first()


@acting_as
@transaction.atomic
def save(user: Any, city: Any, region: Any, header: list[Any], mapping: dict[str, str], header_row: int | None) -> Any:
    """Keep the city's mapping for the shape of ``header``: anyone who may import into ``region``
    (a county of the city, or the city) may, as the mapping is how files are read, not figures."""
    from keyprojects.core.permissions import require_region

    from .models import ColumnMapping

    require_region(user, region, "您不能在“%(region)s”导入台账，列对应关系未保存")
    shape = signature(header)
    if not shape:
        return None
    saved = ColumnMapping.objects.filter(region=city, signature=shape).first() or ColumnMapping(
        region=city, signature=shape)
    saved.headers = " | ".join(normalise_header(v) for v in header if normalise_header(v))[:2000]
    saved.mapping, saved.header_row = mapping, header_row
    saved.updated_by = recorded(user)
    saved.full_clean()
    saved.save()
    return saved
