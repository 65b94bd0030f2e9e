"""Read untrusted XML from arXiv safely: parse it defused, and pull bounded text out of it."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ErrorString

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import fromstring

from paperwire.ingest.formats import RecordError, clean_title

_DOI_SEPARATORS_RE = re.compile(r"[\s,;]+")


class MalformedResponse(ValueError):
    """A response that is not the XML document it should be; the message says why."""


def parse_xml(data: bytes, what: str) -> Element:
    """Parse one XML document, refusing DTDs and entity declarations (billion laughs, XXE).

    `what` names the document in the error message, e.g. "OAI-PMH page".
    """
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ParseError as error:
        line, column = error.position
        reason = ErrorString(error.code) if isinstance(error.code, int) else "parse error"
        raise MalformedResponse(
            f"{what}: not well-formed XML ({reason} at line {line}, column {column})"
        ) from None
    except DTDForbidden:
        raise MalformedResponse(f"{what}: a document type declaration is not allowed") from None
    except EntitiesForbidden:
        raise MalformedResponse(f"{what}: entity declarations are not allowed") from None
    except DefusedXmlException as error:
        raise MalformedResponse(f"{what}: forbidden XML construct ({error})") from None


def expect_root(root: Element, tags: tuple[str, ...], what: str) -> None:
    """Raise MalformedResponse unless the document element is one of tags."""
    if root.tag not in tags:
        raise MalformedResponse(f"{what}: unexpected root element <{local_name(root.tag)}>")


def local_name(tag: str) -> str:
    """'{namespace}name' -> 'name'."""
    return tag.rpartition("}")[2]


def text_of(element: Element | None) -> str | None:
    """All the text inside an element (None when there is no element)."""
    return None if element is None else "".join(element.itertext())


def bounded(text: str | None, name: str, max_chars: int) -> str | None:
    """The text, or RecordError when a field is longer than paperwire stores."""
    if text is not None and len(text) > max_chars:
        raise RecordError(f"<{name}> is longer than {max_chars} characters")
    return text


def optional_clean(text: str | None) -> str | None:
    """Single-spaced text, None when absent or blank."""
    return clean_title(text) or None if text is not None else None


def first_doi(text: str | None) -> str | None:
    """The first DOI of a field that may list several, separated by spaces, commas or ';'."""
    if text is None:
        return None
    dois = [part for part in _DOI_SEPARATORS_RE.split(text) if part]
    return dois[0] if dois else None


def unique(values: list[str]) -> tuple[str, ...]:
    """The values without blanks and repeats, in their first order."""
    return tuple(dict.fromkeys(value for value in values if value))
