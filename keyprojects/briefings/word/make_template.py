"""Builds the default Word template of the briefing (``briefing.docx`` beside this file), which is
committed; a region replaces it by uploading its own on the briefings page. Run again after a
change here: ``python -m keyprojects.briefings.word.make_template``.

The template is a docxtpl (Jinja) document: A4, 仿宋 for the body and 黑体 for headings (with
Noto CJK named as each font's alternative in the font table, which Word and LibreOffice use when
the machine lacks 仿宋 or 黑体), the red masthead of a 简报, page numbers in the footer (a PAGE
field). Its variables: ``title``, ``issue``, ``issuer``, ``date``, ``headline``, ``editor_note``,
``sections`` (each ``heading``, ``paragraphs``, ``unit`` and ``table``, the table's OOXML or "",
``image``, ``note``)
and ``definitions`` (each ``name``, ``definition``).
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "briefing.docx"
BODY, HEADING = ("仿宋", "FangSong", "Noto Serif CJK SC"), ("黑体", "SimHei", "Noto Sans CJK SC")
RED = RGBColor(0xC0, 0x00, 0x00)


def set_fonts(target, family: tuple[str, str, str]) -> None:
    """Name the East Asian font (仿宋/黑体) and the Latin one on a style or a run."""
    east, latin, _ = family
    target.font.name = latin
    r_pr = target.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute, name in (("w:eastAsia", east), ("w:ascii", latin), ("w:hAnsi", latin)):
        fonts.set(qn(attribute), name)


def add_alternatives(document) -> None:
    """Noto CJK as each Chinese font's alternative (``w:altName``) in the font table."""
    part = next((p for p in document.part.package.parts if p.partname == "/word/fontTable.xml"), None)
    if part is None:
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    for east, latin, fallback in (BODY, HEADING):
        for name in (east, latin):
            font = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), name)
            alt = etree.SubElement(font, qn("w:altName"))
            alt.set(qn("w:val"), fallback)
            charset = etree.SubElement(font, qn("w:charset"))
            charset.set(qn("w:val"), "86")  # GB2312
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def paragraph(document, text: str, style: str = "Normal", align=None, size: float | None = None,
              colour: RGBColor | None = None, bold: bool = False, family=None):
    p = document.add_paragraph(style=style)
    run = p.add_run(text)
    if size:
        run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    run.bold = bold
    if family:
        set_fonts(run, family)
    if align is not None:
        p.alignment = align
    return p


def page_field(p) -> None:
    """— PAGE — in the footer: Word and LibreOffice fill in the number."""
    p.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    p.add_run(" —")


def red_rule(p) -> None:
    """The red line under the masthead: a bottom border on its paragraph."""
    p_pr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p_pr.append(borders)


def build(path: Path = TEMPLATE) -> Path:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)  # GB/T 9704 公文 margins
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    assert section.start_type == WD_SECTION.NEW_PAGE

    normal = document.styles["Normal"]
    set_fonts(normal, BODY)
    normal.font.size = Pt(16)  # 三号
    normal.paragraph_format.first_line_indent = Pt(32)
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    for name in ("Heading 1", "Heading 2"):
        style = document.styles[name]
        set_fonts(style, HEADING)
        style.font.size = Pt(16)
        style.font.bold = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.first_line_indent = Pt(32)
    small = document.styles.add_style("Briefing Small", 1)
    small.base_style = normal
    small.font.size = Pt(10.5)
    small.paragraph_format.first_line_indent = Pt(0)
    small.paragraph_format.line_spacing = Pt(16)

    paragraph(document, "{{ title }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=30, colour=RED, family=HEADING)
    paragraph(document, "{{ issue }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=16)
    rule = paragraph(document, "{{ issuer }}\t{{ date }}", size=14)
    rule.paragraph_format.first_line_indent = Pt(0)
    rule.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), alignment=2)  # right-aligned date
    red_rule(rule)
    paragraph(document, "{{ headline }}")
    paragraph(document, "{%p if editor_note %}")
    paragraph(document, "编者按：{{ editor_note }}", family=("楷体", "KaiTi", "Noto Serif CJK SC"))
    paragraph(document, "{%p endif %}")
    paragraph(document, "{%p for s in sections %}")
    document.add_paragraph("{{ s.heading }}", style="Heading 1")
    paragraph(document, "{%p for text in s.paragraphs %}")
    paragraph(document, "{{ text }}")
    paragraph(document, "{%p endfor %}")
    paragraph(document, "{%p if s.unit %}")
    paragraph(document, "{{ s.unit }}", style="Briefing Small", align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph(document, "{%p endif %}")
    paragraph(document, "{{p s.table }}")
    paragraph(document, "{%p if s.note %}")
    paragraph(document, "{{ s.note }}", style="Briefing Small")
    paragraph(document, "{%p endif %}")
    paragraph(document, "{%p if s.image %}")
    paragraph(document, "{{ s.image }}", align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.first_line_indent = Pt(0)
    paragraph(document, "{%p endif %}")
    paragraph(document, "{%p endfor %}")
    document.add_paragraph("说明：指标口径", style="Heading 2")
    paragraph(document, "{%p for d in definitions %}")
    paragraph(document, "{{ d.name }}：{{ d.definition }}", style="Briefing Small")
    paragraph(document, "{%p endfor %}")

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_field(footer)
    add_alternatives(document)
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
