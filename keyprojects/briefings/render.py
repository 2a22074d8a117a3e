"""A briefing's content (``content.build``'s JSON) and its free text as Word and PDF.

Word: the region's own template if it uploaded one (``BriefingTemplate``), else the default
committed in ``word/briefing.docx``, filled by docxtpl. PDF: WeasyPrint from the HTML template
``briefings/print.html`` of the same content (why WeasyPrint: docs/performance.md). Both draw
their charts from the content, never from live figures.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import charts
from .content import numbered
from .word.make_template import TEMPLATE

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Text:
    """What a briefing prints besides its content: the editable text and the masthead."""

    title: str
    issue: str
    issuer: str
    headline: str
    next_steps: str = ""
    editor_note: str = ""


def masthead_date(content: dict[str, Any]) -> str:
    day = date.fromisoformat(content["as_of"])
    return f"{day.year}年{day.month}月{day.day}日"


def docx(content: dict[str, Any], text: Text, template: Any = None, drawn: dict[str, bytes] | None = None) -> bytes:
    """The briefing as .docx, from ``template`` (a path or a file; default: the committed one);
    ``drawn``: its charts, if drawn already."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(template or TEMPLATE)
    drawn = charts.draw(content) if drawn is None else drawn
    sections = []
    for section in numbered(content, text.next_steps):
        table = _table_xml(document, section["table"]) if section.get("table") else ""
        image = drawn.get(section.get("chart") or "")
        sections.append({
            "heading": section["heading"], "paragraphs": section["paragraphs"], "table": table,
            "note": section.get("note", ""), "unit": (section.get("table") or {}).get("unit", ""),
            "image": InlineImage(document, io.BytesIO(image), width=Mm(150 if section["chart"] != "batches" else 100))
            if image else "",
        })
    document.render({
        "title": text.title, "issue": text.issue, "issuer": text.issuer, "date": masthead_date(content),
        "headline": text.headline, "editor_note": text.editor_note, "sections": sections,
        "definitions": content["definitions"],
    }, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table_xml(document: Any, table: dict[str, Any]) -> Any:
    """A table as the OOXML docxtpl puts in place of ``{{p s.table }}``, made with python-docx in
    the template's own document (its "Table Grid" style), then taken out of it again."""
    from docx.shared import Pt
    from markupsafe import Markup

    rows = table["rows"]
    grid = document.get_docx().add_table(rows=1 + len(rows), cols=len(table["header"]))
    grid.style = "Table Grid"
    for r, (row, values) in enumerate(zip(grid.rows, [table["header"], *rows], strict=True)):
        for cell, value in zip(row.cells, values, strict=True):  # (grid.cell(r, c) walks the table each time)
            p = cell.paragraphs[0]
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing = Pt(14)
            run = p.add_run(str(value))
            run.font.size = Pt(9)
            run.bold = r == 0
    element = grid._tbl
    element.getparent().remove(element)
    return Markup(element.xml)  # our own XML, its text escaped by lxml


def html(content: dict[str, Any], text: Text, for_print: bool = True, drawn: dict[str, bytes] | None = None) -> str:
    """The briefing as HTML: the PDF's source, and the preview page's body."""
    drawn = charts.draw(content) if drawn is None else drawn
    sections = [{**s, "image": base64.b64encode(drawn[s["chart"]]).decode() if s.get("chart") in drawn else ""}
                for s in numbered(content, text.next_steps)]
    return render_to_string("briefings/print.html" if for_print else "briefings/_body.html", {
        "text": text, "date": masthead_date(content), "sections": sections, "definitions": content["definitions"],
    })


def pdf(content: dict[str, Any], text: Text, drawn: dict[str, bytes] | None = None) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html(content, text, drawn=drawn)).write_pdf()


def both(content: dict[str, Any], text: Text, template: Any = None) -> tuple[bytes, bytes]:
    """The .docx and the .pdf, their charts drawn once."""
    drawn = charts.draw(content)
    return docx(content, text, template, drawn), pdf(content, text, drawn)


def check_template(upload: Any) -> None:
    """A region's Word template must be a .docx docxtpl can fill with a sample briefing."""
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".docx"):
        raise ValidationError({"file": _("模板应为 .docx 文件")})
    sample = {"region": "示例", "region_code": "", "year": 2022, "as_of": "2022-05-31", "kind": "monthly",
              "headline": "", "sections": [], "figures": {"rates": {}}, "charts": {"monthly": [], "batches": []},
              "definitions": []}
    try:
        upload.seek(0)
        docx(sample, Text("示例", "", "", ""), io.BytesIO(upload.read()))
    except Exception as exc:  # noqa: BLE001  (any failure of a foreign file is the file's fault)
        raise ValidationError({"file": _("模板无法使用：%(error)s") % {"error": exc}}) from exc
    finally:
        upload.seek(0)


def write(path: Path, content: dict[str, Any], text: Text, drawn: dict[str, bytes] | None = None) -> None:
    """``content`` as the file ``path`` names (.docx or .pdf)."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        path.write_bytes(docx(content, text, drawn=drawn))
    elif suffix == ".pdf":
        path.write_bytes(pdf(content, text, drawn))
    else:
        raise ValidationError({"output": _("输出文件应以 .docx 或 .pdf 结尾：%(name)s") % {"name": path.name}})
