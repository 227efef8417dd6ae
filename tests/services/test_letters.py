"""The printed invitation letters: one page per household, the right code, a scannable QR code."""

from __future__ import annotations

import io

import pytest
import segno
from pypdf import PageObject, PdfReader
from pypdf.generic import ContentStream

from node.services.letters import InvitationLetter, render_invitation_letters

MM_PER_PT = 25.4 / 72
BASE_URL = "https://quartier.mons.be"
SIGNUP_ADDRESS = "https://quartier.mons.be/signup"

LETTERS = [
    InvitationLetter(
        household_label="Chaussée de Bruxelles 112 bte 3",
        postcode_and_municipality="7000 Mons",
        neighbourhood_name="Quartier du Béguinage",
        code="K7QM-4XRT-9P",
        signup_url="https://quartier.mons.be/signup?code=K7QM4XRT9P",
    ),
    InvitationLetter(
        household_label="Sint-Katelijnestraat 27",
        postcode_and_municipality="2800 Mechelen",
        neighbourhood_name="Sint-Katelijne",
        code="A2BC-DEFG-7H",
        signup_url="https://quartier.mons.be/signup?code=A2BCDEFG7H",
    ),
    InvitationLetter(
        household_label="Rue de l'Église 4",
        postcode_and_municipality="7000 Mons",
        neighbourhood_name="Quartier du Béguinage",
        code="ZZ9P-LM3Q-2W",
        signup_url="https://quartier.mons.be/signup?code=ZZ9PLM3Q2W",
    ),
]

# One phrase from each language's message, plus the language headings.
PHRASES = [
    "Français",
    "Seuls les habitants du quartier",
    "Toutes les personnes de votre ménage peuvent utiliser ce même code",
    "Nederlands",
    "Alleen bewoners van de buurt",
    "Alle leden van uw huishouden mogen dezelfde code gebruiken",
    "English",
    "Only residents of the neighbourhood",
    "Everyone in your household can use the same code",
]


def _flat(text: str) -> str:
    """Text with line breaks and runs of spaces collapsed, so phrases match across wraps."""
    return " ".join(text.split())


def _render(letters: list[InvitationLetter], base_url: str = BASE_URL) -> PdfReader:
    pdf = render_invitation_letters(letters, node_name="Ville de Mons", base_url=base_url)
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


@pytest.fixture(scope="module")
def reader() -> PdfReader:
    return _render(LETTERS)


def _filled_rects(reader: PdfReader, page: PageObject) -> list[tuple[float, float, float, float]]:
    """Filled rectangles on the page as (left, bottom, right, top) in points."""
    rects = []
    pending: list[tuple[float, float, float, float]] = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"re":
            x, y, w, h = (float(v) for v in operands)
            pending.append((min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h)))
        elif operator in (b"f", b"F", b"f*"):
            rects.extend(pending)
            pending = []
        elif operator in (b"S", b"s", b"n", b"B", b"b", b"B*", b"b*"):
            pending = []  # stroked or clipping rectangles are decoration, not QR modules
    return rects


def _drawn_qr(reader: PdfReader, page: PageObject, size: int) -> tuple[list[list[int]], float]:
    """Rebuild a size x size module matrix from the filled rectangles, and its width in mm."""
    rects = _filled_rects(reader, page)
    assert rects, "no filled rectangles: the QR code was not drawn"
    left = min(r[0] for r in rects)
    right = max(r[2] for r in rects)
    top = max(r[3] for r in rects)
    # The finder patterns fill three corners, so the rectangles span the whole symbol.
    module = (right - left) / size
    matrix = [[0] * size for _ in range(size)]
    for x0, y0, x1, y1 in rects:
        for row in range(round((top - y1) / module), round((top - y0) / module)):
            for col in range(round((x0 - left) / module), round((x1 - left) / module)):
                matrix[row][col] = 1
    return matrix, (right - left) * MM_PER_PT


def _text_positions(page: PageObject) -> dict[str, tuple[float, float]]:
    """Where each drawn string starts, in mm from the page's top-left corner."""
    height = float(page.mediabox.height)
    positions: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            positions.setdefault(text.strip(), (x * MM_PER_PT, (height - y) * MM_PER_PT))

    page.extract_text(visitor_text=visit)
    return positions


def test_one_page_per_letter(reader: PdfReader) -> None:
    assert len(reader.pages) == len(LETTERS)


@pytest.mark.parametrize("index", range(len(LETTERS)))
def test_page_carries_its_own_household_and_code(reader: PdfReader, index: int) -> None:
    letter = LETTERS[index]
    text = _flat(reader.pages[index].extract_text())
    assert letter.code in text
    assert letter.household_label in text
    assert letter.postcode_and_municipality in text
    assert letter.neighbourhood_name in text
    assert SIGNUP_ADDRESS in text
    for phrase in PHRASES:
        assert phrase in text
    for other in LETTERS:
        if other is not letter:
            assert other.code not in text


def test_accents_survive(reader: PdfReader) -> None:
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    for word in ("Chaussée", "Béguinage", "Église", "téléphone", "Français", "ménage"):
        assert word in text


@pytest.mark.parametrize("index", range(len(LETTERS)))
def test_qr_code_encodes_the_signup_url(reader: PdfReader, index: int) -> None:
    expected = segno.make_qr(LETTERS[index].signup_url, error="m", boost_error=False)
    assert expected.error == "M"
    size = len(expected.matrix)
    drawn, width_mm = _drawn_qr(reader, reader.pages[index], size)
    assert drawn == [list(row) for row in expected.matrix]
    assert width_mm >= 30  # phones need about 30 mm to read a QR code off paper


def test_address_sits_in_the_window_and_the_code_does_not(reader: PdfReader) -> None:
    positions = _text_positions(reader.pages[0])
    for line in ("Chaussée de Bruxelles 112 bte 3", "7000 Mons"):
        x, y = positions[line]
        assert 20 <= x <= 110 and 45 <= y <= 90, (line, x, y)
    # Nothing secret may show through the window: the big code sits to its right.
    code_x, _ = positions["K7QM-4XRT-9P"]
    assert code_x > 120
    left_of_qr = min(r[0] for r in _filled_rects(reader, reader.pages[0])) * MM_PER_PT
    assert left_of_qr > 120


def test_trailing_slash_in_base_url_is_tidied() -> None:
    text = _flat(_render(LETTERS[:1], base_url=BASE_URL + "/").pages[0].extract_text())
    assert SIGNUP_ADDRESS in text
    assert "//signup" not in text


def test_typographic_characters_are_made_printable() -> None:
    letter = InvitationLetter(
        household_label="Rue de l’Église 4",  # curly apostrophe, as spreadsheets write it
        postcode_and_municipality="7000 Mons",
        neighbourhood_name="Sacré-Cœur",
        code="K7QM-4XRT-9P",
        signup_url="https://quartier.mons.be/signup?code=K7QM4XRT9P",
    )
    text = _flat(_render([letter]).pages[0].extract_text())
    assert "Rue de l'Église 4" in text
    assert "Sacré-Coeur" in text


def test_decomposed_accents_are_composed() -> None:
    letter = InvitationLetter(
        household_label="Chausse\u0301e de Bruxelles 112",  # "e" + combining acute accent
        postcode_and_municipality="7000 Mons",
        neighbourhood_name="Quartier du Béguinage",
        code="K7QM-4XRT-9P",
        signup_url="https://quartier.mons.be/signup?code=K7QM4XRT9P",
    )
    assert "Chaussée de Bruxelles 112" in _flat(_render([letter]).pages[0].extract_text())


def test_empty_input_is_refused() -> None:
    with pytest.raises(ValueError, match="no households to print"):
        render_invitation_letters([], node_name="Ville de Mons", base_url=BASE_URL)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("household_label", "ulica Łódzka 5"),
        ("postcode_and_municipality", "7000 Монс"),
        ("neighbourhood_name", "Quartier ☀"),
        ("code", "K7QM–4XRT–9P"),  # en dashes: the code is printed as given, never rewritten
    ],
)
def test_unprintable_characters_name_the_household(field: str, value: str) -> None:
    good = LETTERS[0]
    bad = InvitationLetter(
        household_label="ulica Łódzka 5" if field == "household_label" else "Rue Haute 9",
        postcode_and_municipality=value if field == "postcode_and_municipality" else "7000 Mons",
        neighbourhood_name=value if field == "neighbourhood_name" else "Quartier du Béguinage",
        code=value if field == "code" else "K7QM-4XRT-9P",
        signup_url="https://quartier.mons.be/signup?code=K7QM4XRT9P",
    )
    with pytest.raises(ValueError) as info:
        render_invitation_letters([good, bad], node_name="Ville de Mons", base_url=BASE_URL)
    message = str(info.value)
    assert "letter 2" in message
    assert repr(bad.household_label) in message
    assert field in message


def test_address_too_long_for_the_window_is_refused() -> None:
    letter = InvitationLetter(
        household_label="Boulevard " + "très long " * 40,
        postcode_and_municipality="7000 Mons",
        neighbourhood_name="Quartier du Béguinage",
        code="K7QM-4XRT-9P",
        signup_url="https://quartier.mons.be/signup?code=K7QM4XRT9P",
    )
    with pytest.raises(ValueError, match="envelope window"):
        render_invitation_letters([letter], node_name="Ville de Mons", base_url=BASE_URL)
