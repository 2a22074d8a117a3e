"""The ranking paragraph of a briefing (通报), in the official register:
"4月份，各县区综合排名前三位的是安定区、陇西县、临洮县，后三位的是漳县、岷县、通渭县。"
"""

from __future__ import annotations

from .models import MemberKind
from .ranking import Ranking

WHO: dict[str, str] = {MemberKind.COUNTY: "各县区", MemberKind.ZONE: "各开发区", MemberKind.UNIT: "各市直部门"}


NUMERALS = "零一二三四五六七八九十"


def _numeral(n: int) -> str:
    """1—20 as written in a bulletin (三, 十, 十二); beyond, the digits."""
    if n <= 10:
        return NUMERALS[n]
    return "十" + NUMERALS[n - 10] if n < 20 else str(n)


def _names(rows: list) -> str:
    return "、".join(r.name + ("（并列）" if sum(1 for o in rows if o.rank == r.rank) > 1 else "") for r in rows)


def paragraph(ranking: Ranking) -> str:
    """One sentence per group: its 红榜 (front) and 黑榜 (back), ties marked 并列."""
    sentences = []
    for group in ranking.groups:
        if not group.rows:
            continue
        who = WHO.get(group.member_kind, group.name)
        if group.name not in who:
            who = f"{who}（{group.name}）"
        if not group.top:
            best = [r for r in group.rows if r.rank == 1]
            sentences.append(f"{who}综合排名第一位的是{_names(best)}")
            continue
        front = f"前{_numeral(group.list_size)}位" if group.list_size > 1 else "第一位"
        back = f"后{_numeral(group.list_size)}位" if group.list_size > 1 else "末位"
        bottom = sorted(group.bottom, key=lambda r: group.rows.index(r))
        sentences.append(f"{who}综合排名{front}的是{_names(group.top)}"
                         + (f"，{back}的是{_names(bottom)}" if bottom else ""))
    if not sentences:
        return f"{ranking.period.label}，暂无考核排名。"
    return f"{ranking.period.label}，" + "；".join(sentences) + "。"
