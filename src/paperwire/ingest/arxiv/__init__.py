"""Pure parsers for arXiv's harvest formats (OAI-PMH, API Atom, announcement RSS) into Papers."""

from paperwire.ingest.arxiv.atom import ApiError, ApiPage, parse_api_feed
from paperwire.ingest.arxiv.oai import OaiError, OaiPage, parse_oai_page
from paperwire.ingest.arxiv.rss import Announcement, AnnouncementFeed, parse_announcement_feed
from paperwire.ingest.arxiv.xmlsafe import MalformedResponse, parse_xml

__all__ = [
    "Announcement",
    "AnnouncementFeed",
    "ApiError",
    "ApiPage",
    "MalformedResponse",
    "OaiError",
    "OaiPage",
    "parse_announcement_feed",
    "parse_api_feed",
    "parse_oai_page",
    "parse_xml",
]
