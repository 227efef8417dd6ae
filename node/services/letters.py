"""Printable invitation letters: one A4 page per household, posted by the municipality.

The layout follows a window-envelope letter (DIN 5008 form B, which fits C5 and DL windows):
the address sits in the window at 20 mm from the left and 45 mm from the top, while the
invitation code and its QR code sit to the right of the window so nobody can read them through
the envelope. The PDF uses the built-in core fonts (no font files to ship), which only cover
Latin-1, so every printed field is checked before the first page is drawn.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fpdf2 and segno cost ~19 MiB and 0.4 s at start: loaded when printing
    from fpdf import FPDF


__all__ = ["InvitationLetter", "render_invitation_letters"]


@dataclass(frozen=True)
class InvitationLetter:
    """What is printed on one household's letter."""

    household_label: str  # e.g. "Rue de la Paix 12 bte 3"
    postcode_and_municipality: str  # e.g. "7000 Mons"
    neighbourhood_name: str
    code: str  # e.g. "K7QM-4XRT-9P", printed exactly as given
    signup_url: str  # e.g. "https://quartier.mons.be/signup?code=K7QM4XRT9P", only in the QR code


# Page geometry, in millimetres.
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
MARGIN_LEFT = 20.0
MARGIN_RIGHT = 20.0
TEXT_BOTTOM = (
    PAGE_HEIGHT - 12
)  # below this a printer may clip; anything lower means the page overflowed

# The envelope window: 20 mm from the left, 45 mm from the top, 90 x 45 mm.
WINDOW_X = 20.0
WINDOW_Y = 45.0
WINDOW_WIDTH = 90.0
WINDOW_HEIGHT = 45.0
# Keep a few millimetres clear of the window edges because the letter shifts in the envelope.
ADDRESS_INSET = 3.0

# The code panel on the right, well clear of the window's right edge (110 mm).
PANEL_X = 128.0
PANEL_Y = 30.0
PANEL_WIDTH = PAGE_WIDTH - MARGIN_RIGHT - PANEL_X
# 34 mm is comfortably above the 30 mm phones need off paper; a typical signup URL gives a
# 33-module version 4 symbol, so each module is about 1 mm.
QR_SIZE = 34.0
# Scanners need a light "quiet zone" of four modules around the symbol; 5 mm covers that for
# any version that fits in 34 mm.
QR_QUIET = 5.0

# Fold marks for DIN 5008 form B, the fold that brings the 45 mm address field into the window.
FOLD_MARKS_Y = (105.0, 210.0)

BODY_START_Y = 104.0
BODY_SIZE = 10.0  # points: comfortable for older readers, and three languages still fit
BODY_LINE = 4.7  # mm, about 1.3 x the body size
STEP_INDENT = 5.0
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PT_PER_MM = 72 / 25.4

ACCENT = (0, 72, 128)  # a sober municipal blue for headings
TEXT = (33, 33, 33)
MUTED = (110, 110, 110)

# Typographic characters that spreadsheets and address registers love but Latin-1 lacks.
# Substituting them keeps "Rue de l'Église" printable when the register wrote a curly
# apostrophe, and "Rue du Sacré-Cœur" readable as "Sacré-Coeur", which the post accepts.
_LATIN1_SUBSTITUTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u0153": "oe",
        "\u0152": "OE",
        "\u2009": " ",
        "\u202f": "\u00a0",
    }
)


@dataclass(frozen=True)
class _Language:
    """One language's text; {neighbourhood}, {url} and {code} are filled in per letter."""

    heading: str
    title: str
    welcome: str
    how_to: str
    step_url: tuple[str, str]  # text before and after the URL
    step_code: str
    household: str


# Plain-language wording, one idea per sentence, the same message in all three languages.
_LANGUAGES: tuple[_Language, ...] = (
    _Language(
        heading="Français",
        title="Bienvenue dans l'espace en ligne privé de votre quartier, {neighbourhood}.",
        welcome=(
            "Seuls les habitants du quartier s'y retrouvent. C'est un endroit pour faire "
            "connaissance avec vos voisins, vous entraider et partager les nouvelles du quartier."
        ),
        how_to="Pour vous inscrire\u00a0:",
        step_url=("Allez sur ", " ou scannez le code QR avec votre téléphone."),
        step_code="Tapez votre code d'invitation\u00a0: ",
        household=(
            "Toutes les personnes de votre ménage peuvent utiliser ce même code. "
            "Gardez cette lettre\u00a0: elle servira si quelqu'un de votre ménage veut "
            "s'inscrire plus tard. Ne donnez pas ce code à des personnes qui n'habitent pas "
            "chez vous."
        ),
    ),
    _Language(
        heading="Nederlands",
        title="Welkom in de besloten online ruimte van uw buurt, {neighbourhood}.",
        welcome=(
            "Alleen bewoners van de buurt komen hier samen. Het is een plek om uw buren te "
            "leren kennen, elkaar te helpen en nieuws uit de buurt te delen."
        ),
        how_to="Zo schrijft u zich in:",
        step_url=("Ga naar ", " of scan de QR-code met uw telefoon."),
        step_code="Vul uw uitnodigingscode in: ",
        household=(
            "Alle leden van uw huishouden mogen dezelfde code gebruiken. "
            "Bewaar deze brief: u hebt hem nodig als iemand van uw huishouden zich later wil "
            "inschrijven. Geef de code niet aan mensen die niet bij u wonen."
        ),
    ),
    _Language(
        heading="English",
        title="Welcome to the private online space of your neighbourhood, {neighbourhood}.",
        welcome=(
            "Only residents of the neighbourhood meet here. It is a place to get to know your "
            "neighbours, help each other and share local news."
        ),
        how_to="How to join:",
        step_url=("Go to ", " or scan the QR code with your phone."),
        step_code="Enter your invitation code: ",
        household=(
            "Everyone in your household can use the same code. "
            "Please keep this letter: you will need it if someone else in your household "
            "wants to join later. Do not give the code to people who do not live with you."
        ),
    ),
)


def _printable(text: str, what: str, *, substitute: bool = True) -> str:
    """Return text ready for a core font, or raise ValueError saying what cannot be printed."""
    # NFC first: registers exported from macOS often hold "É" as "E" plus a combining accent,
    # which Latin-1 cannot encode although the composed letter is fine.
    text = unicodedata.normalize("NFC", text)
    if substitute:
        text = text.translate(_LATIN1_SUBSTITUTES)
    for char in text:
        # Control characters (including newlines) would break the fixed layout, and the
        # C1 range 0x80-0x9F encodes but prints as something else under WinAnsiEncoding.
        if ord(char) > 0xFF or unicodedata.category(char) == "Cc":
            raise ValueError(
                f"{what} contains {char!r} (U+{ord(char):04X}), which cannot be printed with "
                "the PDF core fonts (Latin-1 only); please correct it in the address register"
            )
    return text


@dataclass(frozen=True)
class _CleanLetter:
    label: str
    postcode: str
    neighbourhood: str
    code: str
    signup_url: str
    what: str  # how to name this letter in error messages


def _clean(letter: InvitationLetter, index: int) -> _CleanLetter:
    """Check and normalise one letter's fields, naming the household in any error."""
    what = f"letter {index + 1} ({letter.household_label!r}, {letter.postcode_and_municipality!r})"
    if not letter.household_label.strip():
        raise ValueError(f"{what}: household_label is empty")
    if not letter.code.strip():
        raise ValueError(f"{what}: code is empty")
    if not letter.signup_url.strip():
        raise ValueError(f"{what}: signup_url is empty")
    return _CleanLetter(
        label=_printable(letter.household_label, f"{what}: household_label"),
        postcode=_printable(letter.postcode_and_municipality, f"{what}: postcode_and_municipality"),
        neighbourhood=_printable(letter.neighbourhood_name, f"{what}: neighbourhood_name"),
        # The code is what residents type, so it is printed exactly as given: no substitutions.
        code=_printable(letter.code, f"{what}: code", substitute=False),
        signup_url=letter.signup_url,  # only goes into the QR code, which is not font-bound
        what=what,
    )


# A run of text in one font: (family, style, size in points, text).
_Run = tuple[str, str, float, str]
# A laid-out line: (family, style, size, offset from the left edge in mm, text) per font run.
_Line = list[tuple[str, str, float, float, str]]


class _Typesetter:
    """Greedy word wrap over mixed-font runs, drawn with plain text operators.

    fpdf2's multi_cell() and write() re-measure the growing line for every character, which
    made them most of the time of a 500-letter batch. The paragraphs are nearly the same on
    every page, so wrapping once and caching the lines brings that close to nothing.
    """

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self._cache: dict[tuple[tuple[_Run, ...], float], list[_Line]] = {}

    def wrap(self, runs: tuple[_Run, ...], width: float) -> list[_Line]:
        """Break runs into lines no wider than width; only ordinary spaces are break points."""
        key = (runs, width)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        lines: list[_Line] = []
        line: _Line = []
        x = 0.0
        for family, style, size, text in runs:
            self.pdf.set_font(family, style, size)
            # Non-breaking spaces stay inside their word, as French punctuation needs.
            for token in re.findall(r"[^ ]+| +", text):
                token_width = self.pdf.get_string_width(token)
                if token.startswith(" "):
                    if line:  # spaces never start a line
                        line.append((family, style, size, x, token))
                        x += token_width
                    continue
                if line and x + token_width > width:
                    while not line[-1][4].strip():
                        line.pop()  # trailing spaces are invisible; keep the text stream clean
                    lines.append(line)
                    line, x = [], 0.0
                # A single word wider than the line (a very long URL) is cut where it must be.
                while token_width > width and len(token) > 1:
                    cut = len(token)
                    while cut > 1 and self.pdf.get_string_width(token[:cut]) > width - x:
                        cut -= 1
                    line.append((family, style, size, x, token[:cut]))
                    lines.append(line)
                    line, x = [], 0.0
                    token = token[cut:]
                    token_width = self.pdf.get_string_width(token)
                line.append((family, style, size, x, token))
                x += token_width
        if line:
            lines.append(line)
        merged = [self._merge(raw) for raw in lines]
        self._cache[key] = merged
        return merged

    @staticmethod
    def _merge(line: _Line) -> _Line:
        """Join neighbouring tokens in the same font, so each font run is one text operator."""
        merged: _Line = []
        for family, style, size, x, text in line:
            if merged and merged[-1][:3] == (family, style, size):
                prev = merged[-1]
                merged[-1] = (family, style, size, prev[3], prev[4] + text)
            else:
                merged.append((family, style, size, x, text))
        return merged

    def paragraph(
        self, runs: tuple[_Run, ...], x: float, y: float, width: float, leading: float = BODY_LINE
    ) -> float:
        """Draw runs wrapped to width from (x, y) top-left; return the y below the last line."""
        pdf = self.pdf
        for line in self.wrap(runs, width):
            for family, style, size, offset, text in line:
                pdf.set_font(family, style, size)
                pdf.text(x + offset, _baseline(y, leading, size), text)
            y += leading
        return y

    def line(
        self,
        text: str,
        x: float,
        y: float,
        font: tuple[str, str, float],
        centre_in: float | None = None,
        leading: float | None = None,
    ) -> None:
        """Draw one unwrapped line with its top at y, centred in a box centre_in wide if given."""
        family, style, size = font
        pdf = self.pdf
        pdf.set_font(family, style, size)
        if centre_in is not None:
            x += (centre_in - pdf.get_string_width(text)) / 2
        pdf.text(x, _baseline(y, size * 0.45 if leading is None else leading, size), text)


def _baseline(top: float, line_height: float, size: float) -> float:
    """Where fpdf2's cell() would put the baseline: text vertically centred in its line."""
    return top + line_height / 2 + 0.3 * size / PT_PER_MM


def _fit_size(pdf: FPDF, text: str, family: str, style: str, width: float, start: float) -> float:
    """The largest font size (down to 60% of start) at which text fits in width."""
    size = start
    while size > start * 0.6:
        pdf.set_font(family, style, size)
        if pdf.get_string_width(text) <= width:
            break
        size -= 0.5
    pdf.set_font(family, style, size)
    return size


def _draw_qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as filled vector rectangles: sharp at any printer resolution, no files."""
    import segno

    qr = segno.make_qr(payload, error="m", boost_error=False)
    matrix = qr.matrix
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    # One rectangle per horizontal run of dark modules rather than per module roughly halves
    # the drawing operations, which keeps 500 letters fast and the file small.
    for row_index, row in enumerate(matrix):
        top = y + row_index * module
        col = 0
        width = len(row)
        while col < width:
            if row[col]:
                start = col
                while col < width and row[col]:
                    col += 1
                pdf.rect(x + start * module, top, (col - start) * module, module, style="F")
            else:
                col += 1


def _fold_marks(pdf: FPDF) -> None:
    """Short marks in the left margin so staff folding by hand land the address in the window."""
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    for fold_y in FOLD_MARKS_Y:
        pdf.line(4, fold_y, 9, fold_y)


def _header(ts: _Typesetter, node_name: str, home_address: str) -> None:
    """The node's name and address across the top, like a municipal letterhead."""
    pdf = ts.pdf
    pdf.set_text_color(*ACCENT)
    size = _fit_size(pdf, node_name, "helvetica", "B", TEXT_WIDTH, 16)
    ts.line(node_name, MARGIN_LEFT, 12, ("helvetica", "B", size))
    pdf.set_text_color(*MUTED)
    ts.line(home_address, MARGIN_LEFT, 19, ("helvetica", "", 9))
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN_LEFT, 25, PAGE_WIDTH - MARGIN_RIGHT, 25)


def _address(ts: _Typesetter, letter: _CleanLetter, node_name: str) -> None:
    """The window block: a small sender line, then who and where the letter goes."""
    pdf = ts.pdf
    x = WINDOW_X + ADDRESS_INSET
    width = WINDOW_WIDTH - 2 * ADDRESS_INSET
    top = WINDOW_Y + ADDRESS_INSET
    pdf.set_text_color(*MUTED)
    size = _fit_size(pdf, node_name, "helvetica", "", width, 7)
    ts.line(node_name, x, top, ("helvetica", "", size))
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.1)
    pdf.line(x, top + 4, x + width, top + 4)

    pdf.set_text_color(0, 0, 0)
    y = WINDOW_Y + 12
    ts.line("Aux habitants / Aan de bewoners", x, y, ("helvetica", "", 10))
    y = ts.paragraph((("helvetica", "B", 11.0, letter.label),), x, y + 5, width, leading=5.2)
    y = ts.paragraph((("helvetica", "", 11.0, letter.postcode),), x, y, width, leading=5.2)
    if y > WINDOW_Y + WINDOW_HEIGHT - ADDRESS_INSET:
        raise ValueError(f"{letter.what}: the address is too long for the envelope window")


def _code_panel(ts: _Typesetter, letter: _CleanLetter) -> None:
    """The code to type and the QR code to scan, framed together to the right of the window."""
    pdf = ts.pdf
    inner_x = PANEL_X + 3
    inner = PANEL_WIDTH - 6
    pdf.set_text_color(*ACCENT)
    label_font = ("helvetica", "B", 8.0)
    ts.line(
        "Code d'invitation / Uitnodigingscode", inner_x, PANEL_Y + 3, label_font, centre_in=inner
    )
    ts.line("Invitation code", inner_x, PANEL_Y + 7, label_font, centre_in=inner)

    pdf.set_text_color(0, 0, 0)
    size = _fit_size(pdf, letter.code, "courier", "B", inner, 20)
    if pdf.get_string_width(letter.code) > inner:
        raise ValueError(f"{letter.what}: the code is too long to print")
    ts.line(letter.code, inner_x, PANEL_Y + 12, ("courier", "B", size), centre_in=inner)

    qr_x = PANEL_X + (PANEL_WIDTH - QR_SIZE) / 2
    qr_y = PANEL_Y + 21 + QR_QUIET
    _draw_qr(pdf, letter.signup_url, qr_x, qr_y, QR_SIZE)

    pdf.set_text_color(*MUTED)
    caption_y = qr_y + QR_SIZE + QR_QUIET - 1
    caption = "Scannez-moi / Scan mij / Scan me"
    ts.line(caption, inner_x, caption_y, ("helvetica", "", 7.5), centre_in=inner)

    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.3)
    height = caption_y + 5 - PANEL_Y
    pdf.rect(PANEL_X, PANEL_Y, PANEL_WIDTH, height, style="D", round_corners=True, corner_radius=2)


def _language_block(
    ts: _Typesetter, language: _Language, letter: _CleanLetter, signup_address: str, top: float
) -> float:
    """One language's version of the message under a small heading; returns the y below it."""
    pdf = ts.pdf
    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN_LEFT, top, PAGE_WIDTH - MARGIN_RIGHT, top)
    pdf.set_text_color(*ACCENT)
    ts.line(language.heading, MARGIN_LEFT, top + 1.5, ("helvetica", "B", 8.0))

    pdf.set_text_color(*TEXT)
    title = language.title.format(neighbourhood=letter.neighbourhood)
    y = ts.paragraph((_body(title, "B"),), MARGIN_LEFT, top + 6, TEXT_WIDTH)
    y = ts.paragraph((_body(language.welcome),), MARGIN_LEFT, y, TEXT_WIDTH) + 1.5
    y = ts.paragraph((_body(language.how_to, "B"),), MARGIN_LEFT, y, TEXT_WIDTH)

    before, after = language.step_url
    steps: tuple[tuple[str, tuple[_Run, ...]], ...] = (
        ("1.", (_body(before), _body(signup_address, "B"), _body(after))),
        ("2.", (_body(language.step_code), ("courier", "B", BODY_SIZE + 1, letter.code))),
    )
    for number, runs in steps:
        ts.line(number, MARGIN_LEFT, y, ("helvetica", "", BODY_SIZE), leading=BODY_LINE)
        # A hanging indent keeps wrapped step text clear of the number.
        y = ts.paragraph(runs, MARGIN_LEFT + STEP_INDENT, y, TEXT_WIDTH - STEP_INDENT)
    return ts.paragraph((_body(language.household),), MARGIN_LEFT, y + 1.5, TEXT_WIDTH) + 4


def _body(text: str, style: str = "") -> _Run:
    return ("helvetica", style, BODY_SIZE, text)


def render_invitation_letters(
    letters: Sequence[InvitationLetter], node_name: str, base_url: str
) -> bytes:
    """Render one A4 invitation page per letter and return the PDF bytes.

    Raises ValueError for an empty sequence, or naming the letter whose fields cannot be
    printed (characters outside Latin-1, an address too long for the envelope window).
    """
    if not letters:
        raise ValueError("no households to print")
    node_name = _printable(node_name, "node_name")
    home_address = _printable(base_url.rstrip("/"), "base_url")
    signup_address = home_address + "/signup"
    # Check every letter before drawing anything, so a bad address fails in milliseconds
    # rather than after hundreds of pages.
    cleaned = [_clean(letter, index) for index, letter in enumerate(letters)]

    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{node_name} - invitation letters")
    pdf.set_creator("Quartier")
    pdf.set_margins(MARGIN_LEFT, 12, MARGIN_RIGHT)
    # A page break in the middle of a letter would split one household's letter over two
    # sheets; the explicit overflow check below turns that into an error instead.
    pdf.set_auto_page_break(False)

    ts = _Typesetter(pdf)
    for letter in cleaned:
        pdf.add_page()
        _fold_marks(pdf)
        _header(ts, node_name, home_address)
        _address(ts, letter, node_name)
        _code_panel(ts, letter)
        y = BODY_START_Y
        for language in _LANGUAGES:
            y = _language_block(ts, language, letter, signup_address, y)
        if y > TEXT_BOTTOM:
            raise ValueError(f"{letter.what}: the text does not fit on one page")

    return bytes(pdf.output())
