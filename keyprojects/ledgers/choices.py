"""The four things a project is classed by that ledgers often leave out — level, type, 建设性质
and stage — read from the words ledgers use, and the defaults a user chooses for them."""

from __future__ import annotations

import functools
import re

from keyprojects.projects.models import Nature, Project, Stage

from .cells import text

# Field -> (label, words -> value). A cell is matched by the first word it starts with.
FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "level": ("项目级别", {
        "省列重大": Project.Level.PROVINCIAL_MAJOR, "省重大": Project.Level.PROVINCIAL_MAJOR,
        "省重点": Project.Level.PROVINCIAL, "省级": Project.Level.PROVINCIAL,
        "省": Project.Level.PROVINCIAL, "市重点": Project.Level.CITY, "市级": Project.Level.CITY, "市": Project.Level.CITY,
        "县区重点": Project.Level.COUNTY, "县重点": Project.Level.COUNTY, "区重点": Project.Level.COUNTY,
        "县": Project.Level.COUNTY, "区": Project.Level.COUNTY}),
    "project_type": ("项目类型", {
        "产业": Project.Type.INDUSTRY, "工业": Project.Type.INDUSTRY, "基础设施": Project.Type.INFRASTRUCTURE,
        "基础": Project.Type.INFRASTRUCTURE, "社会": Project.Type.SOCIAL, "民生": Project.Type.SOCIAL,
        "生态": Project.Type.ECOLOGY, "环保": Project.Type.ECOLOGY, "城市": Project.Type.URBAN,
        "城建": Project.Type.URBAN, "其他": Project.Type.OTHER}),
    "nature": ("建设性质", {
        "新建": Nature.NEW, "新开工": Nature.NEW, "新开": Nature.NEW, "新": Nature.NEW, "续建": Nature.CONTINUING,
        "续": Nature.CONTINUING, "竣工": Nature.COMPLETING, "建成": Nature.COMPLETING, "投产": Nature.COMPLETING}),
    "stage": ("建设阶段", {
        "谋划": Stage.PLANNING, "储备": Stage.PLANNING, "前期": Stage.PREPARATION, "在建": Stage.CONSTRUCTION,
        "施工": Stage.CONSTRUCTION, "竣工": Stage.COMPLETED, "建成": Stage.COMPLETED, "投产": Stage.OPERATING,
        "运营": Stage.OPERATING, "停建": Stage.SUSPENDED, "缓建": Stage.SUSPENDED, "停缓建": Stage.SUSPENDED,
        "终止": Stage.TERMINATED}),
}
# How a user names a field in ``--default 级别=市重点``.
FIELD_NAMES = {"级别": "level", "项目级别": "level", "层次": "level", "项目层级": "level", "类型": "project_type",
               "项目类型": "project_type", "性质": "nature", "建设性质": "nature", "阶段": "stage",
               "建设阶段": "stage"}
SPACES = re.compile(r"\s+")
# Longest words first: 县区重点 before 县, 停缓建 before 停建.
WORDS = {name: sorted(known.items(), key=lambda item: -len(item[0])) for name, (_label, known) in FIELDS.items()}


def value_of(field: str, cell: object) -> str | None:
    """The field's value a cell names, None for a blank cell; ValueError for words not known."""
    if not cell:
        return None
    return _value_of(field, cell if isinstance(cell, str) else text(cell))


@functools.lru_cache(maxsize=256)  # a few words, on every row
def _value_of(field: str, cell: str) -> str | None:
    words = SPACES.sub("", text(cell))
    if not words:
        return None
    for word, value in WORDS[field]:
        if words.startswith(word):
            return value
    raise ValueError(f"{FIELDS[field][0]}应为 " + "、".join(_labels(field)))


def _labels(field: str) -> list[str]:
    choices = {"level": Project.Level, "project_type": Project.Type, "nature": Nature, "stage": Stage}[field]
    return [str(label) for label in choices.labels]


def label_of(field: str, value: str) -> str:
    choices = {"level": Project.Level, "project_type": Project.Type, "nature": Nature, "stage": Stage}[field]
    return str(choices(value).label)


@functools.lru_cache(maxsize=64)  # built for every row that takes a default: a few distinct ones
def taken(field: str, value: str, how: str) -> str:
    """How the result counts a class taken by default: 项目级别取“市重点”（所选默认值）."""
    return f"{FIELDS[field][0]}取“{label_of(field, value)}”（{how}）"


def parse_default(spec: str) -> tuple[str, str]:
    """``级别=市重点`` → ("level", "city"); ValueError saying what is accepted."""
    name, _sep, words = spec.partition("=")
    field = FIELD_NAMES.get(name.strip())
    if field is None:
        raise ValueError(f"“{spec}”：可设默认值的是 级别、类型、性质、阶段（如 --default 级别=市重点）")
    value = value_of(field, words)
    if value is None:
        raise ValueError(f"“{spec}”：请写明默认值")
    return field, value
