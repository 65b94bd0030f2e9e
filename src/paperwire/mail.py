"""Send e-mail: one Mailer interface, an SMTP mailer and a console mailer for development.

Callers build an ``email.message.EmailMessage`` and hand it to ``Mailer.send``. Failures
come back as ``TemporaryMailError`` (try again later: the server is down, busy or answered
4xx) or ``PermanentMailError`` (the server answered 5xx for this message: do not retry).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import smtplib
import ssl
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol, TextIO
from urllib.parse import unquote, urlsplit

from paperwire.config import Settings

log = logging.getLogger(__name__)
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
# Headers given as plain ASCII (set_raw) go out as they are. The default policy refolds a
# line over 78 characters, and a URL has no space to fold at, so it would turn
# `List-Unsubscribe: <https://…>` into RFC 2047 words that no mail provider reads as a URL
# (RFC 2369 wants the URL itself; RFC 5322 allows lines up to 998 characters).
MAIL_POLICY = policy.default.clone(refold_source="none")
_HOST_NAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


class MailError(Exception):
    """A message could not be sent."""


class TemporaryMailError(MailError):
    """Worth retrying later: connection refused or lost, timeout, or a 4xx answer."""


class PermanentMailError(MailError):
    """The server refused this message for good (a 5xx answer); retrying will not help."""


class Mailer(Protocol):
    """Anything that sends a message: SMTP in production, the console in development."""

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to deliver, parsed from PAPERWIRE_SMTP_URL."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps://… (TLS at once)."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SMTP URL must look like smtp://user:pass@host:587 or smtps://…")
        return cls(
            host=parts.hostname,
            port=parts.port or _DEFAULT_PORTS[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class SmtpMailer:
    """Deliver through one SMTP server, keeping the connection open between messages."""

    def __init__(self, target: SmtpTarget, *, timeout_seconds: float = 30.0) -> None:
        self.target = target
        self.timeout_seconds = timeout_seconds
        self._connection: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            self._send_once(message)
        except smtplib.SMTPServerDisconnected:
            # A kept connection the server has since closed: one fresh try.
            self.close()
            self._send_classified(message)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise _classified(error) from error

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _send_classified(self, message: EmailMessage) -> None:
        try:
            self._send_once(message)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise _classified(error) from error

    def _send_once(self, message: EmailMessage) -> None:
        refused = self._connected().send_message(message)
        if refused:  # some recipients accepted, others not: report the refusal
            raise smtplib.SMTPRecipientsRefused(refused)

    def _connected(self) -> smtplib.SMTP:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if target.implicit_tls:
            connection = smtplib.SMTP_SSL(
                target.host, target.port, timeout=self.timeout_seconds, context=context
            )
        else:
            connection = smtplib.SMTP(target.host, target.port, timeout=self.timeout_seconds)
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
            elif target.username and not target.is_loopback:
                connection.close()
                raise PermanentMailError(
                    f"{target.host} does not offer STARTTLS: refusing to send the password "
                    "in clear text (use smtps:// or a server with STARTTLS)"
                )
        if target.username:
            connection.login(target.username, target.password or "")
        return connection


class ConsoleMailer:
    """Print each message instead of sending it: the default when no SMTP URL is set."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        stream = self.stream or sys.stderr
        log.info("e-mail to %s printed, not sent (PAPERWIRE_SMTP_URL is empty)", message["To"])
        stream.write(f"{'-' * 30} e-mail {'-' * 30}\n{_readable(message)}\n{'-' * 68}\n")
        stream.flush()

    def close(self) -> None:
        return None


def mailer_from_settings(settings: Settings) -> Mailer:
    """The SMTP mailer when PAPERWIRE_SMTP_URL is set, else the console mailer."""
    url = settings.smtp_url.get_secret_value() if settings.smtp_url is not None else ""
    if not url:
        return ConsoleMailer()
    return SmtpMailer(SmtpTarget.from_url(url), timeout_seconds=settings.smtp_timeout_seconds)


def new_message(
    settings: Settings, *, to: str, subject: str, message_id: str | None = None
) -> EmailMessage:
    """An empty message from the configured sender, to fill with set_content/add_alternative.

    Every message gets a Date and a Message-ID (a unique one unless message_id is given):
    mail providers score messages without them as spam.
    """
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    # Plain ASCII both: set_raw skips the header parser (see docs/performance.md).
    message.set_raw("Date", format_datetime(datetime.now(UTC)))
    message.set_raw("Message-ID", message_id or make_msgid(domain=message_id_domain(settings)))
    return message


def message_id_domain(settings: Settings) -> str:
    """The sender's domain, else the public host: never the machine's own host name, which
    make_msgid would otherwise look up and put in every message."""
    _, at, sender_domain = parseaddr(settings.mail_from)[1].rpartition("@")
    for domain in (sender_domain if at else "", urlsplit(settings.base_url).hostname or ""):
        if found := _ascii_domain(domain):
            return found
    return "paperwire.invalid"


def _ascii_domain(domain: str) -> str:
    """domain as ASCII (IDNA), or "" when it is not a plain host name."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return ascii_domain if _HOST_NAME_RE.fullmatch(ascii_domain) else ""


def _classified(error: BaseException) -> MailError:
    if isinstance(error, MailError):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        kind = PermanentMailError if permanent else TemporaryMailError
        return kind(f"recipient refused: {_describe_refusals(error)}")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # A wrong password is the operator's to fix; the messages themselves are fine.
        return TemporaryMailError(f"SMTP login failed ({error.smtp_code})")
    if isinstance(error, smtplib.SMTPResponseException):
        kind = PermanentMailError if 500 <= error.smtp_code < 600 else TemporaryMailError
        return kind(f"SMTP server answered {error.smtp_code}: {_text(error.smtp_error)}")
    return TemporaryMailError(f"SMTP server unreachable: {error}")


def _describe_refusals(error: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(
        f"{address} ({code} {_text(reply)})" for address, (code, reply) in error.recipients.items()
    )


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _readable(message: EmailMessage) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    body = message.get_body(preferencelist=("plain", "html"))
    content = body.get_content() if body is not None else ""
    return f"{headers}\n\n{content}"
