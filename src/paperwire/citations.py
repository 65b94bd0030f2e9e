"""Cite a paper: BibTeX entries with unique keys, a plain-text citation, a Markdown page (pure)."""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from urllib.parse import quote

from paperwire.papers import Paper
from paperwire.text import without_unsafe_controls

# Up to this many authors are named in a plain citation; longer lists give the first and
# "et al.".
CITATION_AUTHORS_SHOWN = 5
# Words a citation key skips when it picks the first significant word of the title.
_ARTICLES = {"a", "an", "the"}
_CONJUNCTIONS = {"and", "or", "but", "nor"}
_PREPOSITIONS = {"of", "on", "in", "into", "onto", "for", "to", "from", "by", "with", "at", "as"}
_MORE_PREPOSITIONS = {"via", "over", "under", "about", "against", "between", "through", "upon"}
TITLE_STOP_WORDS = frozenset(_ARTICLES | _CONJUNCTIONS | _PREPOSITIONS | _MORE_PREPOSITIONS)
_ANONYMOUS_KEY = "anon"
_KEY_SUFFIX_LETTERS = string.ascii_lowercase
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# TeX accent commands (\"o, \'e, \c{c}, \H{o}): dropped before folding, their letter kept.
_TEX_ACCENT_RE = re.compile(r"\\(?:[`'^\"~=.]|[cHkruvdbt](?![A-Za-z]))")
_TEX_CONTROL_WORD_RE = re.compile(r"\\[A-Za-z]+")
_TEX_MATH_RE = re.compile(r"\$\$.*?\$\$|\$.*?\$", re.DOTALL)
# A TeX escape (\$, \\), or a math delimiter: what decides where inline math starts and ends.
_MATH_TOKEN_RE = re.compile(r"\\.|\$\$|\$", re.DOTALL)
# Letters NFKD does not decompose into an ASCII base letter.
_FOLD = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe"}
    | {"Œ": "OE", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i"}
)
_LONE_BRACE = {
    False: {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"},
    True: {"{": r"\lbrace{}", "}": r"\rbrace{}"},
}
# One TeX token: a control word (\input), a control symbol (\%, \{), or one character.
_TEX_TOKEN_RE = re.compile(r"\\(?:[A-Za-z]+|.)|.", re.DOTALL)
# Commands (case ignored, so some harmless ones too) that read or write files, run
# programs, define or redefine commands, change how TeX reads characters, build command
# names, open environments or end the run. Titles are typeset, never programmed: these are
# shown as text (\textbackslash{}input), all else TeX is kept, as arXiv's export keeps it.
_UNSAFE_COMMAND_RE = re.compile(
    r"[a-z]*(?:input|include|file|write|read|open|close|shell|lua|special|csname|scantokens"
    r"|syntax|makeat)[a-z]*|[a-z]*(?:def|code|mode|package)|(?:future)?let|global|immediate"
    r"|expandafter|every[a-z]*|pdf[a-z]*|(?:re)?new(?!line$)[a-z]*|provide[a-z]*"
    r"|declare[a-z]*|documentclass|begin|end|dump|bye|stop|loop",
    re.IGNORECASE,
)
# Characters with a meaning in TeX's text mode, shown as themselves there (kept in math).
_TEXT_MODE_SYMBOLS = {"^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
_CARET_PAIR_RE = re.compile(r"\^(?=\^)")
# Every character _bibtex_text may change; a text without any is already a BibTeX value.
_BIBTEX_SPECIAL_RE = re.compile(r"[\\{}%&#_$^~]")
# A DOI or URL is verbatim to biblatex, but BibTeX styles hand it to \url inside another
# command, where these cannot pass (the url package's manual): no real DOI holds them.
_VERBATIM_DROPPED_RE = re.compile(r"[{}\\^%#]")
_MARKDOWN_SPECIALS = frozenset("\\`*_[]<>&#|~$")
# What would make a line start a list, a quote or a heading underline in Markdown.
_MARKDOWN_LINE_START_RE = re.compile(r"^(\d*)([-+=.)])")


# --- BibTeX ---------------------------------------------------------------------------------


def citation_key(paper: Paper) -> str:
    """Google Scholar's key: first author's last name, year, first significant title word.

    All three are ASCII letters in lowercase (accents folded, TeX accents read):
    'Yinan Cheng', 2024, 'Downstream Task-Oriented …' gives 'cheng2024downstream'. A paper
    without authors starts with 'anon'; an unknown year or a title without a word is left out.
    """
    name = _last_name(paper.authors[0]) if paper.authors else ""
    year = _year(paper)
    return f"{name or _ANONYMOUS_KEY}{year or ''}{_title_word(paper.title)}"


def unique_keys(papers: Iterable[Paper]) -> list[str]:
    """The citation key of each paper; a repeated key gets a, b, … z, aa, … appended.

    The first paper with a key keeps it bare, so it matches the paper's own .bib export.
    """
    used: set[str] = set()
    keys = []
    for paper in papers:
        key = _first_unused(citation_key(paper), used)
        used.add(key)
        keys.append(key)
    return keys


def bibtex_entry(paper: Paper, key: str | None = None) -> str:
    """One BibTeX entry, shaped like arXiv's own export, ending with a newline.

    '@misc' with eprint, archivePrefix, primaryClass and the abstract page as url; a paper
    with a journal reference is an '@article' whose journal is that reference, as written.
    A known DOI is added as doi.
    """
    kind = "article" if paper.journal_ref else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in _bibtex_fields(paper))
    return f"@{kind}{{{key or citation_key(paper)},\n{body}\n}}\n"


def bibtex_list(papers: Sequence[Paper]) -> str:
    """The entries of papers in order, with keys unique within the list, a blank line apart."""
    entries = (bibtex_entry(p, k) for p, k in zip(papers, unique_keys(papers), strict=True))
    return "\n".join(entries)


def _bibtex_fields(paper: Paper) -> list[tuple[str, str]]:
    authors = " and ".join(_bibtex_name(name) for name in paper.authors)
    year = _year(paper)
    fields = [
        ("title", f"{{{_bibtex_text(paper.title)}}}"),  # double braces keep its capitals
        ("author", authors),
        ("journal", _bibtex_text(paper.journal_ref or "")),
        ("year", str(year) if year else ""),
        ("eprint", _bibtex_verbatim(paper.arxiv_id)),
        ("archivePrefix", "arXiv"),
        ("primaryClass", _bibtex_text(paper.primary_category or "")),
        ("doi", _bibtex_verbatim(paper.doi or "")),
        ("url", _bibtex_verbatim(paper.abs_url)),
    ]
    return [(name, value) for name, value in fields if value]


def _bibtex_name(name: str) -> str:
    """A name BibTeX reads as one person: a comma or the word 'and' inside would split it."""
    text = _bibtex_text(name)
    if "," in text or re.search(r"\band\b", text, re.IGNORECASE):
        return f"{{{text}}}"
    return text


def _bibtex_text(text: str) -> str:
    """text as a braced BibTeX value LaTeX can typeset, with its TeX math kept as written.

    Braces BibTeX or TeX cannot pair become brace symbols; %, & and # are escaped
    everywhere, and _, ^, ~ and a lone $ outside math; commands that could reach files,
    programs or definitions are shown as text (_UNSAFE_COMMAND_RE); control characters are
    dropped.
    """
    text = _clean(text)
    if not _BIBTEX_SPECIAL_RE.search(text):
        return text  # most titles and names: nothing below would change a character
    in_math = _math_mask(text)
    tokens = [match.span() for match in _TEX_TOKEN_RE.finditer(text)]
    escaped = {end - 1 for start, end in tokens if end - start == 2 and text[start + 1] in "{}"}
    lone_braces = _unpaired_braces(text, escaped)
    out = []
    for start, end in tokens:
        if end - 1 in lone_braces:  # '{', '}', or an escaped '\{' BibTeX still counts
            out.append(_LONE_BRACE[in_math[end - 1]][text[end - 1]])
        elif end - start > 1:
            out.append(_bibtex_command(text[start:end], in_math[start]))
        else:
            out.append(_bibtex_char(text[start], in_math[start]))
    # TeX reads ^^5c as a backslash (and ^^69 as 'i') before anything else: no two carets
    # may touch. In math, x^{}{}^y still typesets; a lone ^ outside math is escaped above.
    return _CARET_PAIR_RE.sub("^{}{}", "".join(out))


def _bibtex_command(command: str, in_math: bool) -> str:
    """A TeX command or escape kept as written, unless it could do more than typeset."""
    if _UNSAFE_COMMAND_RE.fullmatch(command[1:]):
        return ("\\backslash{}" if in_math else "\\textbackslash{}") + command[1:]
    return command


def _bibtex_char(char: str, in_math: bool) -> str:
    if char == "\\":  # only a backslash that ends the text: it would escape the closing brace
        return r"\textbackslash{}"
    if char in "%&#" or (char in "_$" and not in_math):
        return f"\\{char}"
    if char in _TEXT_MODE_SYMBOLS and not in_math:
        return _TEXT_MODE_SYMBOLS[char]
    return char


def _bibtex_verbatim(text: str) -> str:
    """A DOI or URL: read verbatim by biblatex, so nothing is escaped; what could start a
    command, a group or a comment in a style that is not verbatim goes."""
    return _VERBATIM_DROPPED_RE.sub("", _clean(text))


def _unpaired_braces(text: str, escaped: set[int]) -> set[int]:
    """Positions of the braces without a partner, counted as BibTeX counts (\\{ too).

    A pair of an escaped brace (at a position in escaped) and a bare one is also unpaired:
    BibTeX sees a group there but TeX does not.
    """
    opened: list[int] = []
    unpaired: set[int] = set()
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}" and opened:
            start = opened.pop()
            if (start in escaped) != (index in escaped):
                unpaired |= {start, index}
        elif char == "}":
            unpaired.add(index)
    return unpaired | set(opened)


def _first_unused(key: str, used: set[str]) -> str:
    if key not in used:
        return key
    return next(key + suffix for suffix in _key_suffixes() if key + suffix not in used)


def _key_suffixes() -> Iterator[str]:
    for length in itertools.count(1):
        for letters in itertools.product(_KEY_SUFFIX_LETTERS, repeat=length):
            yield "".join(letters)


def _last_name(author: str) -> str:
    """The last name in ASCII letters: 'Chi-Hua Wang' → 'wang', 'Requardt, M.' → 'requardt'."""
    name = author.split(",")[0] if "," in author else author
    words = [w for w in name.split() if w.lower() not in _NAME_SUFFIXES]
    for word in reversed(words):  # a name in a script that folds to nothing: try the others
        letters = _ascii_letters(word)
        if letters:
            return letters
    return ""


def _title_word(title: str) -> str:
    """The first title word of two or more letters that is not a stop word; '' if none."""
    text = _TEX_MATH_RE.sub(" ", title)
    text = _TEX_CONTROL_WORD_RE.sub(" ", _TEX_ACCENT_RE.sub("", text))
    words: list[str] = re.findall(r"[a-z]+", _fold(text).lower())
    for word in words:
        if len(word) > 1 and word not in TITLE_STOP_WORDS:
            return word
    return ""


def _ascii_letters(text: str) -> str:
    return "".join(c for c in _fold(_TEX_ACCENT_RE.sub("", text)) if c.isalpha()).lower()


def _fold(text: str) -> str:
    """text in ASCII: accents dropped ('Stéphane' → 'Stephane'), other letters spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if c.isascii())


# --- Plain text and Markdown -------------------------------------------------------------


def plain_citation(paper: Paper) -> str:
    """'A, B and C (2024). Title. arXiv:ID.' then the journal reference and DOI when known.

    Up to CITATION_AUTHORS_SHOWN authors are named, a longer list gives the first and
    'et al.'; the year is the first version's. The title is kept as written, TeX and all.
    """
    year = f" ({_year(paper)})" if _year(paper) else ""
    authors, title = _author_list(paper.authors), _clean(paper.title)
    # Without authors the year follows the title, which then leads.
    lead = [f"{authors}{year}", title] if authors else [f"{title}{year}"]
    sentences = [*lead, f"arXiv:{paper.arxiv_id}", _clean(paper.journal_ref or "")]
    text = " ".join(_sentence(s) for s in sentences if s)
    return f"{text} https://doi.org/{_clean(paper.doi)}" if paper.doi else text


def _author_list(authors: Sequence[str]) -> str:
    names = [_clean(name) for name in authors]
    if len(names) > CITATION_AUTHORS_SHOWN:
        return f"{names[0]} et al."
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else ""


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def markdown_paper(paper: Paper, base_url: str) -> str:
    """The paper as a Markdown document: title, authors, links, details, then the abstract.

    Text is escaped so that it renders as written (TeX included, math left as $…$ for
    renderers that typeset it); base_url is this instance's, for the link to its page.
    """
    lines = [f"# {_markdown_text(paper.title)}", ""]
    if paper.authors:
        lines += [_markdown_paragraph(", ".join(paper.authors)), ""]
    if paper.withdrawn:
        lines += ["**The authors withdrew this paper.**", ""]
    lines += [_markdown_links(paper, base_url), ""]
    lines += [f"- {label}: {value}" for label, value in _markdown_details(paper)]
    lines += ["", "## Abstract", ""]
    for paragraph in paper.abstract.split("\n\n"):
        if paragraph.strip():
            lines += [_markdown_paragraph(paragraph), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _markdown_links(paper: Paper, base_url: str) -> str:
    links = [
        ("Abstract", paper.abs_url),
        ("PDF", paper.pdf_url),
        ("paperwire", f"{base_url.rstrip('/')}/papers/{paper.arxiv_id}"),
    ]
    return " · ".join([f"arXiv:{paper.arxiv_id}", *(f"[{t}]({url})" for t, url in links)])


def _markdown_details(paper: Paper) -> list[tuple[str, str]]:
    updated = paper.updated_at if paper.updated_at != paper.published_at else None
    version = f" (version {paper.version})" if updated and paper.version else ""
    primary = paper.primary_category
    categories = [f"{c} (primary)" if c == primary else c for c in paper.categories]
    doi = _clean(paper.doi or "")
    doi_link = f"[{_markdown_text(doi)}](https://doi.org/{quote(doi, safe='/:;')})"
    details = [
        ("Listed", _iso_day(paper.listing_day)),
        ("Submitted", _iso_day(paper.published_at)),
        ("Updated", _iso_day(updated) + version if updated else ""),
        ("Categories", _markdown_text(", ".join(categories))),
        ("Comment", _markdown_text(paper.comment or "")),
        ("Journal reference", _markdown_text(paper.journal_ref or "")),
        ("DOI", doi_link if doi else ""),
        ("Upvotes", str(paper.imported_upvotes or 0)),
    ]
    return [(label, value) for label, value in details if value]


def _markdown_text(text: str) -> str:
    """text escaped so Markdown shows it as written; inline $…$ math is left untouched."""
    text = _clean(text)
    in_math = _math_mask(text)
    return "".join(
        f"\\{c}" if c in _MARKDOWN_SPECIALS and not in_math[i] else c for i, c in enumerate(text)
    )


def _markdown_paragraph(text: str) -> str:
    """Text that starts a line: '1. ', '- ' or '+ ' there would make it a list."""
    return _MARKDOWN_LINE_START_RE.sub(r"\1\\\2", _markdown_text(text))


def _iso_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return (value.date() if isinstance(value, datetime) else value).isoformat()


# --- Shared ------------------------------------------------------------------------------


def _year(paper: Paper) -> int | None:
    """The year of the first version, or of the listing when the submission time is unknown."""
    if paper.published_at is not None:
        return paper.published_at.year
    return paper.listing_day.year if paper.listing_day is not None else None


def _clean(text: str) -> str:
    """Control and bidirectional-override characters dropped, line breaks and runs of
    spaces made single spaces."""
    return " ".join(without_unsafe_controls(text).split())


def _math_mask(text: str) -> list[bool]:
    """For each character: is it inside $…$ or $$…$$ math (delimiters included)?

    An escaped \\$ is text; a delimiter without a partner opens nothing.
    """
    mask = [False] * len(text)
    opened: tuple[int, str] | None = None
    for match in _MATH_TOKEN_RE.finditer(text):
        token = match.group()
        if token.startswith("\\"):
            continue
        if opened is None:
            opened = (match.start(), token)
        elif token == opened[1]:
            mask[opened[0] : match.end()] = [True] * (match.end() - opened[0])
            opened = None
    return mask
