"""What every .xlsx export shares when it is printed: a table prints across the page (A3 when it
is too wide for A4), its header rows on every page, fitted to the page's width, numbered pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

A4, A3 = 9, 8  # Excel's paper codes
WIDE = 200  # total column width (characters) beyond which A4 landscape would shrink the text below ~70 %


def printable(sheet: Any, header: tuple[int, int], widths: Sequence[float]) -> None:
    """Set ``sheet`` (an xlsxwriter worksheet) to print: landscape, A4 or A3 by the columns'
    total width, rows ``header`` (first, last; 0-based) repeated on each page, one page wide."""
    sheet.set_landscape()
    sheet.set_paper(A3 if sum(widths) > WIDE else A4)
    sheet.repeat_rows(*header)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.7)
    sheet.center_horizontally()
    sheet.set_footer("&C第 &P 页，共 &N 页")
