"""The headers of every kind of e-mail as a real SMTP server receives them, byte for byte."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from personas import CONFIRM_SUBJECT, community_server, mails_to, people
from smtp_server import RecordingHandler, SmtpServer, free_port

from paperwire.config import Settings
from paperwire.digest.jobs import run_digest_pass
from paperwire.storage import Database

FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
CONFIRM_LINK_RE = re.compile(r"(http://\S+/digest/confirm\?token=\S+)")
PUBLIC_URL = "https://papers.example.org"
SUBJECTS = {
    "sign-up confirmation": CONFIRM_SUBJECT,
    "sign-up notice": "Your paperwire account",
    "password reset": "Reset your paperwire password",
    "digest confirmation": "Confirm your paperwire digest",
    "digest": "paperwire: ",
}


@dataclass
class RawRecordingHandler(RecordingHandler):
    """Also keeps each message's bytes as they came over the wire, before any parsing."""

    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.raw.append(envelope.original_content or b"")
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def raw_smtp_server() -> Iterator[SmtpServer]:
    handler = RawRecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


def header_lines(raw: bytes) -> list[str]:
    """The header lines of a message as sent, continuation lines kept as they are."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return head.split("\r\n")


def headers_by_kind(smtp: SmtpServer) -> dict[str, list[str]]:
    handler = smtp.handler
    assert isinstance(handler, RawRecordingHandler)
    found: dict[str, list[str]] = {}
    for raw in handler.raw:
        lines = header_lines(raw)
        subject = next(line for line in lines if line.startswith("Subject: "))
        kind = next(k for k, s in SUBJECTS.items() if subject.startswith(f"Subject: {s}"))
        found[kind] = lines
    return found


def test_every_kind_of_mail_has_a_date_a_unique_message_id_and_plain_headers(
    db: Database, tmp_path: Path
) -> None:
    with raw_smtp_server() as smtp, community_server(db, tmp_path, smtp=smtp) as url:
        _send_every_kind_of_mail(db, smtp, url, tmp_path)
    sent = headers_by_kind(smtp)
    assert sorted(sent) == sorted(SUBJECTS)
    message_ids = []
    for kind, lines in sent.items():
        (date,) = [line for line in lines if line.startswith("Date: ")]
        assert parsedate_to_datetime(date.removeprefix("Date: ")).tzinfo is not None, kind
        (message_id,) = [line for line in lines if line.startswith("Message-ID: ")]
        assert re.fullmatch(r"Message-ID: <[^<>@\s]+@[A-Za-z0-9.-]+>", message_id), message_id
        message_ids.append(message_id)
        assert not any("=?" in line for line in lines if not line.startswith("Subject")), kind
    assert len(set(message_ids)) == len(message_ids)


def test_digest_unsubscribe_headers_are_one_unencoded_url(db: Database, tmp_path: Path) -> None:
    with raw_smtp_server() as smtp, community_server(db, tmp_path, smtp=smtp) as url:
        _subscribe_and_confirm(smtp, url, "reader@example.org")
        _send_digests(db, smtp, tmp_path)
    lines = headers_by_kind(smtp)["digest"]
    (unsubscribe,) = [line for line in lines if line.startswith("List-Unsubscribe: ")]
    assert re.fullmatch(
        rf"List-Unsubscribe: <{re.escape(PUBLIC_URL)}/digest/unsubscribe\?token=[^\s<>]+>",
        unsubscribe,
    )
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert lines[lines.index(unsubscribe) + 1][0] not in " \t"  # not folded either


def _send_every_kind_of_mail(db: Database, smtp: SmtpServer, url: str, folder: Path) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()  # sign-up confirmation
        form = {"username": "mallory", "email": alice.email, "password": "x" * 16}
        assert mallory.post("/signup", form).status_code == 200  # notice to alice
        assert mallory.post("/reset", {"email": alice.email}).status_code == 200
        mails_to(smtp, alice.email, SUBJECTS["sign-up notice"])
        mails_to(smtp, alice.email, SUBJECTS["password reset"])
    _subscribe_and_confirm(smtp, url, "reader@example.org")  # digest confirmation
    _send_digests(db, smtp, folder)


def _subscribe_and_confirm(smtp: SmtpServer, url: str, email: str) -> None:
    with httpx.Client(base_url=url, headers={"Origin": url}, timeout=10) as client:
        found = FORM_TOKEN_RE.search(client.get("/").text)
        assert found is not None
        form = {"email": email, "form_token": found.group(1)}
        assert client.post("/digest/subscribe", data=form).status_code == 200
        (mail,) = mails_to(smtp, email, SUBJECTS["digest confirmation"])
        body = mail.get_body(("plain",))
        assert body is not None
        (link,) = CONFIRM_LINK_RE.findall(body.get_content())
        form["token"] = httpx.URL(link).params["token"]
        answer = client.post("/digest/confirm", data=form)
        assert answer.status_code == 200 and "You are subscribed" in answer.text


def _send_digests(db: Database, smtp: SmtpServer, folder: Path) -> None:
    settings = Settings(data_dir=folder, smtp_url=smtp.url, base_url=PUBLIC_URL)  # type: ignore[arg-type]
    report = run_digest_pass(db, settings, at=datetime.now(UTC).replace(year=2100))
    assert report.sent == 1
