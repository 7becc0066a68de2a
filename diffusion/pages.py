"""Printed pages for reports: a document of headings, paragraphs, tables and figures laid out on A4 or
Letter paper, with a footer on every page.

A report is built as a :class:`Document` (what to say) and rendered twice: as self-contained HTML and,
here, as a PDF whose pages are matplotlib figures of the paper's size. Text is measured with the same
renderer that draws it, so lines wrap at the measured width and nothing leaves the page: a block that
does not fit in what is left of a page starts the next one, a table too long for a page continues on the
next with its header repeated, a figure too tall is scaled down to fit. Every font is embedded (as a
subset, with its Unicode map, so the text can be searched and copied), the Chinese font included: as
Type 3 fonts, because Debian's Noto CJK fonts have CFF outlines that a TrueType embedding would mislabel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

PAPERS = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}   # inches
MARGIN = 0.75            # inches, left, right and top
FOOTER_BAND = 0.8        # inches at the bottom kept for the footer
CELL_PAD = 0.09          # inches between a table cell's text and its neighbours
LEADING = {"en": 1.3, "zh": 1.55}   # line height / font size (CJK glyph boxes are taller)
SIZES = {"kicker": 8.0, "title": 16.0, "heading": 11.5, "body": 9.0, "small": 7.5, "table": 7.8, "footer": 6.5,
         "caption": 7.5}
MUTED = "0.38"


@dataclass
class Heading:
    text: str


@dataclass
class Paragraph:
    text: str
    muted: bool = False
    size: str = "body"


@dataclass
class Table:
    """Rows of text cells; ``align`` gives each column's alignment ('l' or 'r'); ``strong`` marks cells
    printed in bold (row, column)."""
    headers: list[str]
    rows: list[list[str]]
    align: list[str] | None = None
    note: str | None = None
    strong: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Figure:
    path: Path
    caption: str = ""
    max_height: float = 4.6       # inches on the page


@dataclass
class PageBreak:
    pass


@dataclass
class Document:
    """What a report says: a kicker line (the kind of report), a title, the blocks, and the footer line
    (the provenance: model version, scenario, parameter hash, seed)."""
    kicker: str
    title: str
    blocks: list = field(default_factory=list)
    footer: str = ""
    lang: str = "en"


_CJK = r"\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
# a line never starts with closing punctuation nor ends with opening punctuation: they stay with their neighbour
_CLOSE = r"，。、；：？！）》」』】〕〉”’,.;:?!)\]%"
_OPEN = r"（《「『【〔〈“‘(\["
_TOKENS = re.compile(rf"[{_OPEN}]*(?:[{_CJK}]|[^\s{_CJK}]+)[{_CLOSE}]*\s*|\s+")


class _Pages:
    """The page being filled, the cursor on it (inches from the top) and the measuring renderer."""

    def __init__(self, doc: Document, paper: str):
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import RendererAgg

        self.plt, self.doc = plt, doc
        self.width, self.height = PAPERS[paper]
        self.content = self.width - 2 * MARGIN
        self.leading = LEADING.get(doc.lang, 1.3)
        self.measure = RendererAgg(10, 10, 72)   # 72 dpi: a measured pixel is a point
        self.figures: list = []
        self.fig = None
        self.y = 0.0

    # --- measuring -----------------------------------------------------------------------------------
    def _font(self, size: float, bold: bool = False):
        import matplotlib
        from matplotlib.font_manager import FontProperties

        return FontProperties(family=matplotlib.rcParams["font.family"], size=size,
                              weight="bold" if bold else "normal")

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        """Width of ``text`` in inches at ``size`` points."""
        if not text:
            return 0.0
        if "\n" in text:
            return max(self.text_width(line, size, bold) for line in text.split("\n"))
        width, _, _ = self.measure.get_text_width_height_descent(text, self._font(size, bold), ismath=False)
        return width / 72.0

    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        """Lines of ``text`` no wider than ``width`` inches: breaks between words, or between any two
        Chinese characters; a word wider than the line is broken where it must be."""
        lines: list[str] = []
        for paragraph in str(text).split("\n"):
            line = ""
            for token in _TOKENS.findall(paragraph):
                candidate = line + token
                if self.text_width(candidate.rstrip(), size, bold) <= width or not line.strip():
                    line = candidate
                    while self.text_width(line.rstrip(), size, bold) > width and len(line.rstrip()) > 1:
                        cut = len(line)   # one token wider than a line: break it character by character
                        while cut > 1 and self.text_width(line[:cut], size, bold) > width:
                            cut -= 1
                        lines.append(line[:cut])
                        line = line[cut:]
                else:
                    lines.append(line.rstrip())
                    line = token.lstrip()
            lines.append(line.rstrip())
        return lines

    def line_height(self, size: float) -> float:
        return size * self.leading / 72.0

    # --- pages ---------------------------------------------------------------------------------------
    @property
    def bottom(self) -> float:
        return self.height - FOOTER_BAND

    def left(self) -> float:
        return self.bottom - self.y

    def new_page(self) -> None:
        self.fig = self.plt.figure(figsize=(self.width, self.height))
        self.figures.append(self.fig)
        self.y = MARGIN

    def ensure(self, needed: float) -> None:
        """Start a new page unless ``needed`` inches are left on this one (a new page always takes it)."""
        if self.fig is None or (needed > self.left() and self.y > MARGIN + 1e-9):
            self.new_page()

    def put(self, x: float, y_top: float, text: str, size: float, bold: bool = False, colour="black",
            ha: str = "left") -> None:
        """One line of text whose top is ``y_top`` inches from the page's top."""
        self.fig.text(x / self.width, 1 - (y_top + (self.leading - 1) * size / 144.0) / self.height, text,
                      fontsize=size, fontweight="bold" if bold else "normal", color=colour, ha=ha, va="top",
                      parse_math=False)

    def rule(self, y: float, x0: float | None = None, x1: float | None = None, width: float = 0.5,
             colour="0.6") -> None:
        from matplotlib.lines import Line2D

        x0 = MARGIN if x0 is None else x0
        x1 = self.width - MARGIN if x1 is None else x1
        self.fig.add_artist(Line2D([x0 / self.width, x1 / self.width], [1 - y / self.height] * 2,
                                   transform=self.fig.transFigure, lw=width, color=colour))

    # --- blocks --------------------------------------------------------------------------------------
    def lines(self, text: str, size: float, bold=False, colour="black", gap_after: float = 0.06,
              keep_with: float = 0.0) -> None:
        wrapped = self.wrap(text, size, self.content, bold)
        step = self.line_height(size)
        self.ensure(min(len(wrapped), 2) * step + keep_with)
        for line in wrapped:
            self.ensure(step)
            self.put(MARGIN, self.y, line, size, bold, colour)
            self.y += step
        self.y += gap_after

    def heading(self, text: str) -> None:
        size = SIZES["heading"]
        self.y += 0.08
        # a heading stays with at least three lines of what follows it
        self.ensure(self.line_height(size) + 3 * self.line_height(SIZES["body"]) + 0.1)
        self.lines(text, size, bold=True, gap_after=0.0)
        self.rule(self.y + 0.02, width=0.6, colour="0.75")
        self.y += 0.09

    def table(self, block: Table) -> None:
        size = SIZES["table"]
        columns = len(block.headers)
        align = block.align or ["l"] + ["r"] * (columns - 1)
        def widest(texts, bold=False):
            return max([self.text_width(x, size, bold) for x in texts] or [0.0]) + 2 * CELL_PAD

        cells = [[row[c] for row in block.rows] for c in range(columns)]
        # a left-aligned column wraps between words; a right-aligned one holds numbers, kept whole on their lines
        minimum = [widest([_longest_word(x) for x in [block.headers[c], *(cells[c] if align[c] == "l" else [])]]
                          + ([] if align[c] == "l" else cells[c]), True) for c in range(columns)]
        preferred = [max(widest(cells[c]), minimum[c]) for c in range(columns)]   # a long header wraps
        full = [max(preferred[c], widest([block.headers[c]], True)) for c in range(columns)]
        widths = fit_columns(minimum, preferred, full, self.content)
        step = self.line_height(size)

        def cell_lines(text, c, bold=False):
            return self.wrap(text, size, widths[c] - 2 * CELL_PAD, bold)

        header = [cell_lines(h, c, True) for c, h in enumerate(block.headers)]
        header_height = max(len(h) for h in header) * step + 0.08
        rows = [[cell_lines(text, c, (r, c) in block.strong) for c, text in enumerate(row)]
                for r, row in enumerate(block.rows)]

        def draw_header():
            self.rule(self.y, width=0.8, colour="0.3")
            self._cells(header, widths, align, self.y + 0.04, size, bold=lambda c: True)
            self.y += header_height
            self.rule(self.y, width=0.5, colour="0.3")
            self.y += 0.03

        first = max(len(c) for c in rows[0]) * step + 0.05 if rows else 0
        whole = header_height + sum(max(len(c) for c in cells) * step + 0.05 for cells in rows) + 0.1
        # a short table is not split (a lone row on the next page reads as a different table)
        self.ensure(whole if whole < (self.bottom - MARGIN) / 3 else header_height + first + 0.05)
        draw_header()
        for r, cells in enumerate(rows):
            height = max(len(c) for c in cells) * step + 0.05
            if height > self.left():
                self.new_page()
                draw_header()
            self._cells(cells, widths, align, self.y, size, bold=lambda c, r=r: (r, c) in block.strong)
            self.y += height
            if r < len(rows) - 1:
                self.rule(self.y - 0.025, width=0.3, colour="0.85")
        self.rule(self.y, width=0.8, colour="0.3")
        self.y += 0.08
        if block.note:
            self.lines(block.note, SIZES["small"], colour=MUTED, gap_after=0.06)
        self.y += 0.06

    def _cells(self, cells, widths, align, y, size, bold) -> None:
        x = MARGIN
        step = self.line_height(size)
        for c, lines in enumerate(cells):
            for k, line in enumerate(lines):
                if align[c] == "r":
                    self.put(x + widths[c] - CELL_PAD, y + k * step, line, size, bold(c), ha="right")
                else:
                    self.put(x + CELL_PAD, y + k * step, line, size, bold(c))
            x += widths[c]

    def figure(self, block: Figure) -> None:
        image = self.plt.imread(block.path)
        pixels_high, pixels_wide = image.shape[:2]
        width = self.content
        height = width * pixels_high / pixels_wide
        if height > block.max_height:                       # a tall chart: narrower, centred
            width, height = width * block.max_height / height, block.max_height
        caption = self.wrap(block.caption, SIZES["caption"], self.content) if block.caption else []
        caption_height = len(caption) * self.line_height(SIZES["caption"]) + (0.05 if caption else 0)
        if height + caption_height > self.left() and self.y > MARGIN:
            shrunk = self.left() - caption_height
            if shrunk >= 0.8 * height:                      # a little smaller still reads: keep it here
                width, height = width * shrunk / height, shrunk
            else:
                self.new_page()
        full = self.bottom - MARGIN - caption_height
        if height > full:
            width, height = width * full / height, full
        x = MARGIN + (self.content - width) / 2
        ax = self.fig.add_axes([x / self.width, 1 - (self.y + height) / self.height, width / self.width,
                                height / self.height])
        ax.imshow(image, interpolation="antialiased")
        ax.set_axis_off()
        self.y += height + 0.04
        for line in caption:
            self.put(MARGIN, self.y, line, SIZES["caption"], colour=MUTED)
            self.y += self.line_height(SIZES["caption"])
        self.y += 0.14

    def footers(self) -> None:
        """The provenance line and 'page i of n' on every page, in the band kept free for them."""
        from .i18n import t

        size = SIZES["footer"]
        total = len(self.figures)
        for number, fig in enumerate(self.figures, start=1):
            self.fig = fig
            self.rule(self.bottom + 0.12, width=0.4, colour="0.75")
            page = t("page_of", self.doc.lang, page=number, pages=total)
            room = self.content - self.text_width(page, size) - 0.25
            lines = self.wrap(self.doc.footer, size, room)[:2]
            for k, line in enumerate(lines):
                self.put(MARGIN, self.bottom + 0.2 + k * self.line_height(size), line, size, colour=MUTED)
            self.put(self.width - MARGIN, self.bottom + 0.2, page, size, colour=MUTED, ha="right")


def _longest_word(text: str) -> str:
    words = re.findall(rf"[^\s{_CJK}]+", str(text))
    return max(words, key=len) if words else (str(text)[:1] or "")


def fit_columns(minimum: list[float], preferred: list[float], full: list[float], available: float) -> list[float]:
    """Column widths that fill ``available`` inches, as a browser lays out an automatic table: every
    column at its full width (header on one line) when all fit; else at least its preferred width (its
    widest cell; the header wraps) with the room left given to the columns whose header wraps; else
    between its minimum (its longest word) and its preferred width, in proportion to what it gives up."""
    if sum(full) <= available:
        widths = list(full)
        widths[0] += available - sum(full)
        return widths
    if sum(preferred) <= available:
        room, wanted = available - sum(preferred), sum(f - p for f, p in zip(full, preferred))
        return [p + room * (f - p) / wanted for p, f in zip(preferred, full)]
    if sum(minimum) >= available:     # words longer than the page allows: scale (text wraps inside)
        return [m * available / sum(minimum) for m in minimum]
    room, wanted = available - sum(minimum), sum(p - m for p, m in zip(preferred, minimum))
    return [m + room * (p - m) / wanted for m, p in zip(minimum, preferred)]


def render_pdf(doc: Document, path: Path, paper: str = "a4") -> int:
    """Lay ``doc`` out on ``paper`` and write it to ``path``; returns the number of pages."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from .i18n import cjk_font, use_cjk_font

    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)} (given: {paper!r})")
    with matplotlib.rc_context({"pdf.fonttype": 3, "font.family": ["DejaVu Sans"]}):
        if doc.lang == "zh" or cjk_font():   # English reports name Chinese institutions too
            use_cjk_font()
        pages = _Pages(doc, paper)
        try:
            pages.new_page()
            pages.put(MARGIN, pages.y, doc.kicker, SIZES["kicker"], colour=MUTED)
            pages.y += pages.line_height(SIZES["kicker"]) + 0.02
            pages.lines(doc.title, SIZES["title"], bold=True, gap_after=0.1)
            for block in doc.blocks:
                if isinstance(block, Heading):
                    pages.heading(block.text)
                elif isinstance(block, Paragraph):
                    pages.lines(block.text, SIZES[block.size], colour=MUTED if block.muted else "black")
                elif isinstance(block, Table):
                    pages.table(block)
                elif isinstance(block, Figure):
                    if Path(block.path).exists():
                        pages.figure(block)
                elif isinstance(block, PageBreak):
                    pages.new_page()
            pages.footers()
            with PdfPages(path, metadata={"Title": doc.title, "Subject": doc.footer,
                                          "Creator": "ftz-diffusion"}) as pdf:
                for fig in pages.figures:
                    pdf.savefig(fig)
            return len(pages.figures)
        finally:
            for fig in pages.figures:
                plt.close(fig)
