"""JSON bodies with a depth limit: a body nested thousands of levels deep made Python's decoder
raise RecursionError (answered 500), and one just under the interpreter's limit would recurse
again in every serializer that walks it. No input of the API nests beyond a few levels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar: 0), walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套层数过多（最多 %(n)s 层）") % {"n": MAX_DEPTH}) from None
        if depth(data) > MAX_DEPTH:
            raise ParseError(_("JSON 嵌套层数过多（最多 %(n)s 层）") % {"n": MAX_DEPTH})
        return data
