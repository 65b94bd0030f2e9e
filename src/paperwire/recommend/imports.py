"""Read a reader's reference-library export (BibTeX, RIS, CSL-JSON, arXiv ids) into references.

Pure: it sees only the bytes handed in. Whatever cannot be read is named in
`ParsedLibrary.problems`, entry by entry, and the readable entries around it are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePath

import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.model import Block, Entry, ParsingFailedBlock

from paperwire.papers import InvalidArxivId, parse_arxiv_id
from paperwire.text import tex_to_text

BIBTEX = "bibtex"
RIS = "ris"
CSL_JSON = "csl-json"
ARXIV_IDS = "arxiv-ids"

# A library of a few thousand entries with abstracts is 2-3 MB as BibTeX; past these
# bounds an upload is more likely a mistake (or an attack) than a reader's library.
MAX_LIBRARY_BYTES = 5_000_000
MAX_LIBRARY_ENTRIES = 5_000
LABEL_MAX_CHARS = 80

ACCEPTED_FORMATS = (
    "paperwire reads BibTeX (.bib), RIS (.ris) and CSL-JSON (.json) as Zotero, JabRef or "
    "Mendeley export them, and plain text with one arXiv id or arXiv URL per line"
)
_FORMAT_NAMES = {BIBTEX: "BibTeX", RIS: "RIS", CSL_JSON: "CSL-JSON", ARXIV_IDS: "arXiv id"}
_EXTENSION_FORMATS = {".bib": BIBTEX, ".bibtex": BIBTEX, ".ris": RIS, ".json": CSL_JSON}

_JSON_START_RE = re.compile(r"\A\s*[\[{]")
_RIS_START_RE = re.compile(r"\A(?:[ \t]*\n)*TY  - ")
_RIS_END_RE = re.compile(r"^ER  -\s*$")
_BIBTEX_ENTRY_RE = re.compile(
    r"^[ \t]*@(?!(?:comment|string|preamble)\b)[a-z]+[ \t]*[{(]", re.MULTILINE | re.IGNORECASE
)
_BIBTEX_KEY_RE = re.compile(r"@\w+\s*[{(]\s*([^,\s{}()]*)")
# Where tools put an arXiv id inside longer text: an abs/pdf URL, an arXiv DOI, "arXiv:".
# Only candidates: parse_arxiv_id decides what an id is.
_ARXIV_IN_TEXT_RE = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|10\.48550/arxiv\.|arxiv:\s*)"
    r"(?P<id>[a-z][a-z.\-]*/\d{7}(?:v\d+)?|\d{4}\.\d{4,5}(?:v\d+)?)",
    re.IGNORECASE,
)
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI_RE = re.compile(r"10\.\d{4,9}/\S+")
_TAG_SEPARATOR_RE = re.compile(r"[,;]")
_SPACES_RE = re.compile(r"\s+")
_CSL_MARKUP_RE = re.compile(r"</?(?:i|b|sup|sub|sc|span)(?:\s[^>]*)?>", re.IGNORECASE)
_JSON_SEPARATOR_RE = re.compile(r"\s*,?\s*")

_BIBTEX_BARE_FIELDS = ("eprint", "number")
_BIBTEX_TEXT_FIELDS = (
    *("eprint", "doi", "url", "number", "note", "journal", "journaltitle"),
    *("howpublished", "publisher", "eid"),
)
_RIS_BARE_KEYS = ("accession_number", "note", "number")
_RIS_TEXT_KEYS = (
    *("urls", "doi", "file_attachments1", "file_attachments2", "notes", "note"),
    *("journal_name", "secondary_title", "alternate_title3", "publisher", "number"),
    *("accession_number", "type_of_work"),
)
_CSL_BARE_KEYS = ("number", "archive_location")
_CSL_TEXT_KEYS = (
    *("number", "URL", "DOI", "archive_location", "note", "container-title", "publisher"),
)


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of a reader's library, reduced to what identifies a paper."""

    label: str  # how the reader recognises the entry: key, title, id or line (shortened)
    arxiv_id: str | None  # bare id without version
    doi: str | None  # lower-case, without a resolver URL or "doi:" prefix
    title: str | None  # plain text
    tags: tuple[str, ...]  # the entry's keywords or tags, stripped, once each


@dataclass(frozen=True, slots=True)
class ParsedLibrary:
    format: str  # "bibtex" | "ris" | "csl-json" | "arxiv-ids"
    references: list[Reference]
    problems: list[str]  # entries that could not be read: which, and why


class UnreadableLibrary(ValueError):
    """The bytes are no library paperwire reads; the message says what it accepts."""


def parse_library(data: bytes, filename: str = "") -> ParsedLibrary:
    """The references a library export holds, its format told from its content.

    The file name's extension only sharpens the message when the content is not of the
    kind the name promises. UnreadableLibrary for empty, non-UTF-8, oversized or
    unrecognisable bytes, and for more than MAX_LIBRARY_ENTRIES entries.
    """
    name = repr(PurePath(filename).name) if filename else "The file"
    text = _decoded(data, name)
    parsed = _PARSERS[detect_format(text)](text, name)
    if not parsed.references and not parsed.problems:
        raise UnreadableLibrary(f"{name} holds no entries. {ACCEPTED_FORMATS}.")
    if parsed.format == ARXIV_IDS and not parsed.references:
        raise UnreadableLibrary(_not_a_library(name, filename))
    return parsed


def detect_format(text: str) -> str:
    """The format of a decoded export; a plain list of arXiv ids when it is none other."""
    if _JSON_START_RE.match(text):
        return CSL_JSON
    if _RIS_START_RE.match(text):
        return RIS
    if _BIBTEX_ENTRY_RE.search(text):
        return BIBTEX
    return ARXIV_IDS


def _decoded(data: bytes, name: str) -> str:
    """data as text with \\n line ends, a UTF-8 byte-order mark dropped."""
    if len(data) > MAX_LIBRARY_BYTES:
        raise UnreadableLibrary(
            f"{name} is {len(data) / 1e6:.1f} MB; paperwire reads exports of up to "
            f"{MAX_LIBRARY_BYTES / 1e6:g} MB: export a smaller collection or split the file."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableLibrary(
            f"{name} is not UTF-8 text (byte {error.start:,} cannot be read). "
            f"{ACCEPTED_FORMATS}: export it again with UTF-8 encoding."
        ) from None
    if not text.strip() or "\x00" in text:
        raise UnreadableLibrary(
            f"{name} is {'binary' if text.strip() else 'empty'}. {ACCEPTED_FORMATS}."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _not_a_library(name: str, filename: str) -> str:
    promised = _EXTENSION_FORMATS.get(PurePath(filename).suffix.lower())
    found = "no BibTeX entry, RIS record, CSL-JSON item or arXiv id was found in it"
    if promised is not None:
        found = f"its name says {_FORMAT_NAMES[promised]}, but {found}"
    return f"{name} is not a library export: {found}. {ACCEPTED_FORMATS}."


def _refuse_past_limit(count: int, name: str) -> None:
    if count > MAX_LIBRARY_ENTRIES:
        raise UnreadableLibrary(
            f"{name} holds {count:,} entries; paperwire imports at most "
            f"{MAX_LIBRARY_ENTRIES:,} at a time: export a smaller collection or split the file."
        )


# --- references, whatever the format ------------------------------------------------


def _reference(
    label: str,
    *,
    bare: Iterable[str],
    texts: Iterable[str],
    dois: Iterable[str],
    title: str | None,
    tags: Iterable[str],
) -> Reference:
    """A Reference from an entry's raw values: ids are taken from the first value that
    holds one, bare values (a whole "2401.00974v2") before ids inside longer text."""
    return Reference(
        label=_shortened(label),
        arxiv_id=_first(_bare_arxiv_id(value) for value in bare)
        or _first(_arxiv_id_in(value) for value in texts),
        doi=_first(_doi(value) for value in dois),
        title=_collapsed(title),
        tags=tuple(dict.fromkeys(tag for tag in (t.strip() for t in tags) if tag)),
    )


def _collapsed(text: str | None) -> str | None:
    """text with runs of whitespace made one space; None when nothing is left."""
    return _SPACES_RE.sub(" ", text).strip() or None if text is not None else None


def _first(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value), None)


def _bare_arxiv_id(value: str) -> str | None:
    """The id when value is one ("2401.00974v2 [cs.CL]", "arXiv:hep-th/9901001")."""
    words = value.split()
    try:
        return parse_arxiv_id(words[0].strip(".,;"))[0] if words else None
    except InvalidArxivId:
        return None


def _arxiv_id_in(text: str) -> str | None:
    """The first arXiv id named by URL, arXiv DOI or "arXiv:" prefix inside text."""
    for match in _ARXIV_IN_TEXT_RE.finditer(text.replace("{", "").replace("}", "")):
        if (arxiv_id := _bare_arxiv_id(match.group("id"))) is not None:
            return arxiv_id
    return None


def _doi(value: str) -> str | None:
    """value as a bare lower-case DOI, or None when it is not one (an arXiv abs URL)."""
    doi = _DOI_PREFIX_RE.sub("", value.strip().strip("{}")).strip().lower()
    return doi if _DOI_RE.fullmatch(doi) else None


def _shortened(text: str) -> str:
    text = _SPACES_RE.sub(" ", text).strip()
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def _entry_problem(reference: Reference, kind: str) -> str | None:
    """Why a read entry is of no use, or None: with no id and no title nothing can match."""
    if reference.arxiv_id or reference.doi or reference.title:
        return None
    return f"{kind} {reference.label!r} has no arXiv id, DOI or title."


def _collect(format_: str, read: Iterable[Reference | str], kind: str) -> ParsedLibrary:
    """A ParsedLibrary from entries read in file order: a str is a problem."""
    references: list[Reference] = []
    problems: list[str] = []
    for item in read:
        problem = item if isinstance(item, str) else _entry_problem(item, kind)
        if problem is not None:
            problems.append(problem)
        elif isinstance(item, Reference):
            references.append(item)
    return ParsedLibrary(format_, references, problems)


# --- BibTeX ---------------------------------------------------------------------------


def _parse_bibtex(text: str, name: str) -> ParsedLibrary:
    _refuse_past_limit(len(_BIBTEX_ENTRY_RE.findall(text)), name)
    return _collect(BIBTEX, _read_bibtex_blocks(_bibtex_blocks(text)), "BibTeX entry")


def _bibtex_blocks(text: str) -> list[Block]:
    try:
        return parse_string(text).blocks
    except Exception:
        # bibtexparser reports a malformed entry as a failed block, but re-raises what it
        # takes for its own bug (any unexpected error): then parse entry by entry, so that
        # such an entry costs only itself.
        return [block for start, chunk in _bibtex_chunks(text) for block in _chunk(start, chunk)]


def _bibtex_chunks(text: str) -> Iterator[tuple[int, str]]:
    """Each entry's text (from one "@type{" at a line start to the next) and its 0-based
    first line."""
    starts = [match.start() for match in _BIBTEX_ENTRY_RE.finditer(text)]
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        yield text.count("\n", 0, start), text[start:end]


def _chunk(start_line: int, chunk: str) -> list[Block]:
    try:
        return parse_string(chunk).blocks
    except Exception as error:
        return [ParsingFailedBlock(error=error, start_line=start_line, raw=chunk)]


def _read_bibtex_blocks(blocks: Iterable[Block]) -> Iterator[Reference | str]:
    for block in blocks:
        if isinstance(block, Entry):
            yield _bibtex_reference(block)
        elif isinstance(block, ParsingFailedBlock):
            # A duplicate key or field still leaves the entry readable: keep it.
            readable = block.ignore_error_block
            yield (
                _bibtex_reference(readable)
                if isinstance(readable, Entry)
                else _bibtex_problem(block)
            )


def _bibtex_reference(entry: Entry) -> Reference:
    fields = {field.key.lower(): str(field.value) for field in entry.fields}
    values = [fields[key] for key in _BIBTEX_TEXT_FIELDS if key in fields]
    line = f"entry on line {entry.start_line + 1}" if entry.start_line is not None else "entry"
    return _reference(
        entry.key or line,
        bare=[fields[key] for key in _BIBTEX_BARE_FIELDS if key in fields],
        texts=values,
        dois=[fields.get("doi", ""), fields.get("url", "")],
        title=tex_to_text(fields["title"]) if "title" in fields else None,
        tags=[tex_to_text(tag) for tag in _TAG_SEPARATOR_RE.split(fields.get("keywords", ""))],
    )


def _bibtex_problem(block: ParsingFailedBlock) -> str:
    key_match = _BIBTEX_KEY_RE.match((block.raw or "").lstrip())
    key = f" {key_match.group(1)!r}" if key_match and key_match.group(1) else ""
    where = f" (line {block.start_line + 1})" if block.start_line is not None else ""
    error = block.error
    reason = error.abort_reason if isinstance(error, BlockAbortedException) else str(error)
    if "end of file" in reason.lower():
        reason += " The file ends inside this entry: was it cut short?"
    return f"BibTeX entry{key}{where} could not be read: {reason.strip()}"


# --- RIS ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RisChunk:
    number: int  # 1-based, in file order
    first_line: int  # 1-based
    lines: list[str]
    ended: bool  # closed by an "ER  -" line


def _parse_ris(text: str, name: str) -> ParsedLibrary:
    lines = text.split("\n")
    _refuse_past_limit(sum(line.startswith("TY  - ") for line in lines), name)
    return _collect(RIS, (_read_ris_chunk(chunk) for chunk in _ris_chunks(lines)), "RIS record")


def _ris_chunks(lines: list[str]) -> Iterator[_RisChunk]:
    """The records, each from its "TY  -" line to its "ER  -" line; a "TY  -" line inside
    a record that never ended starts the next one, so records are never merged."""
    current: list[str] | None = None
    first_line = count = 0
    for number, line in enumerate(lines, 1):
        if line.startswith("TY  - "):
            if current is not None:
                yield _RisChunk(count, first_line, current, ended=False)
            current, first_line, count = [line], number, count + 1
        elif current is not None:
            current.append(line)
            if _RIS_END_RE.match(line):
                yield _RisChunk(count, first_line, current, ended=True)
                current = None
    if current is not None:
        yield _RisChunk(count, first_line, current, ended=False)


def _read_ris_chunk(chunk: _RisChunk) -> Reference | str:
    where = f"RIS record {chunk.number} (line {chunk.first_line})"
    if not chunk.ended:
        return f"{where} could not be read: it has no 'ER  -' end line. Was the file cut short?"
    try:
        records: list[dict[str, object]] = rispy.loads("\n".join(chunk.lines))
    except Exception as error:  # rispy is lenient; anything it raises costs only this record
        return f"{where} could not be read: {error}"
    if not records:
        return f"{where} could not be read: it holds no fields."
    return _ris_reference(records[0], f"record {chunk.number}")


def _ris_reference(record: Mapping[str, object], fallback_label: str) -> Reference:
    title = _text(record.get("title")) or _text(record.get("primary_title"))
    return _reference(
        title or fallback_label,
        bare=_texts(record, _RIS_BARE_KEYS),
        texts=_texts(record, _RIS_TEXT_KEYS),
        dois=_texts(record, ("doi", "type_of_work", "urls")),
        title=title,
        tags=_texts(record, ("keywords",)),
    )


# --- CSL-JSON -------------------------------------------------------------------------


def _parse_csl_json(text: str, name: str) -> ParsedLibrary:
    items, cut_short = _json_items(text, name)
    _refuse_past_limit(len(items), name)
    read = [_read_csl_item(number, item) for number, item in enumerate(items, 1)]
    if cut_short is not None:
        read.append(
            f"CSL-JSON item {len(items) + 1} could not be read: {cut_short}. "
            "Was the file cut short?"
        )
    return _collect(CSL_JSON, read, "CSL-JSON item")


def _json_items(text: str, name: str) -> tuple[list[object], str | None]:
    """The items of a CSL-JSON array (or of an object's "items"), and why reading stopped
    early when the array breaks off: the items before the break are kept."""
    try:
        loaded: object = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        if text.lstrip().startswith("["):
            return _items_before_break(text)
        raise UnreadableLibrary(
            f"{name} looks like JSON but cannot be read ({_json_error(error)}). {ACCEPTED_FORMATS}."
        ) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("items"), list):
        loaded = loaded["items"]
    if not isinstance(loaded, list):
        raise UnreadableLibrary(
            f"{name} is JSON but not CSL-JSON: that is an array of items, or an object with "
            f'"items". {ACCEPTED_FORMATS}.'
        )
    return loaded, None


def _items_before_break(text: str) -> tuple[list[object], str]:
    decoder = json.JSONDecoder()
    items: list[object] = []
    position = text.index("[") + 1
    while True:
        separator = _JSON_SEPARATOR_RE.match(text, position)
        position = separator.end() if separator else position
        try:
            item, position = decoder.raw_decode(text, position)
        except (json.JSONDecodeError, RecursionError) as error:
            return items, _json_error(error)
        items.append(item)


def _json_error(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno}, column {error.colno}"
    return "nested too deeply"


def _read_csl_item(number: int, item: object) -> Reference | str:
    if not isinstance(item, dict):
        return f"CSL-JSON item {number} could not be read: it is not an object."
    title = _CSL_MARKUP_RE.sub("", _text(item.get("title")) or "") or None
    return _reference(
        _text(item.get("id")) or title or f"item {number}",
        bare=_texts(item, _CSL_BARE_KEYS),
        texts=_texts(item, _CSL_TEXT_KEYS),
        dois=_texts(item, ("DOI", "URL")),
        title=title,
        tags=[
            tag for value in _texts(item, ("keyword",)) for tag in _TAG_SEPARATOR_RE.split(value)
        ],
    )


def _text(value: object) -> str | None:
    """A scalar JSON or RIS value as text (numbers too); None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _texts(record: Mapping[str, object], keys: Iterable[str]) -> list[str]:
    """The text values under keys, in that order; list values (RIS UR, KW) flattened."""
    found: list[str] = []
    for key in keys:
        value = record.get(key)
        values = value if isinstance(value, list) else [value]
        found.extend(text for v in values if (text := _text(v)))
    return found


# --- a list of arXiv ids --------------------------------------------------------------


def _parse_arxiv_ids(text: str, name: str) -> ParsedLibrary:
    lines = [
        (number, line.strip())
        for number, line in enumerate(text.split("\n"), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    _refuse_past_limit(len(lines), name)
    return _collect(ARXIV_IDS, (_read_id_line(number, line) for number, line in lines), "line")


def _read_id_line(number: int, line: str) -> Reference | str:
    arxiv_id = _bare_arxiv_id(line) or _arxiv_id_in(line)
    if arxiv_id is None:
        return f"Line {number} holds no arXiv id: {_shortened(line)!r}"
    return Reference(_shortened(line), arxiv_id, None, None, ())


_PARSERS: dict[str, Callable[[str, str], ParsedLibrary]] = {
    BIBTEX: _parse_bibtex,
    RIS: _parse_ris,
    CSL_JSON: _parse_csl_json,
    ARXIV_IDS: _parse_arxiv_ids,
}
