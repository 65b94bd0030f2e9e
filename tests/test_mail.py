"""The mailers: delivery to a real SMTP server, failure classes, URL parsing, console output."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from smtp_server import SmtpServer, free_port, running_smtp_server

from paperwire.config import Settings
from paperwire.mail import (
    ConsoleMailer,
    PermanentMailError,
    SmtpMailer,
    SmtpTarget,
    TemporaryMailError,
    mailer_from_settings,
    new_message,
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def _message(to: str = "alice@example.org") -> object:
    message = new_message(_settings(), to=to, subject="Today's papers — ünïcode")
    message.set_content("Plain part\n")
    message.add_alternative("<p>HTML part</p>", subtype="html")
    return message


def test_smtp_mailer_delivers_both_parts_over_one_connection(smtp: SmtpServer) -> None:
    mailer = mailer_from_settings(_settings(smtp_url=smtp.url))
    mailer.send(_message("alice@example.org"))  # type: ignore[arg-type]
    mailer.send(_message("bob@example.org"))  # type: ignore[arg-type]
    mailer.close()

    received = smtp.handler.to("alice@example.org")[0]
    assert received["Subject"] == "Today's papers — ünïcode"
    assert received["From"] == "paperwire <paperwire@localhost>"
    assert received.get_body(("plain",)).get_content().strip() == "Plain part"  # type: ignore[union-attr]
    assert "HTML part" in received.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert len(smtp.handler.to("bob@example.org")) == 1


def test_a_5xx_refusal_is_permanent(smtp: SmtpServer) -> None:
    smtp.handler.refuse["gone@example.org"] = "550 5.1.1 no such user"
    mailer = SmtpMailer(SmtpTarget.from_url(smtp.url))
    with pytest.raises(PermanentMailError, match="550"):
        mailer.send(_message("gone@example.org"))  # type: ignore[arg-type]
    mailer.send(_message("alice@example.org"))  # type: ignore[arg-type]  # still usable
    mailer.close()
    assert len(smtp.handler.messages) == 1


def test_a_4xx_refusal_is_temporary(smtp: SmtpServer) -> None:
    smtp.handler.refuse["busy@example.org"] = "450 4.2.1 mailbox busy, try later"
    mailer = SmtpMailer(SmtpTarget.from_url(smtp.url))
    with pytest.raises(TemporaryMailError, match="450"):
        mailer.send(_message("busy@example.org"))  # type: ignore[arg-type]
    mailer.close()


def test_a_dead_server_is_temporary() -> None:
    mailer = SmtpMailer(SmtpTarget.from_url(f"smtp://127.0.0.1:{free_port()}"))
    with pytest.raises(TemporaryMailError, match="unreachable"):
        mailer.send(_message())  # type: ignore[arg-type]


def test_a_restarted_server_is_reconnected_to() -> None:
    with running_smtp_server() as first:
        mailer = SmtpMailer(SmtpTarget.from_url(first.url))
        mailer.send(_message())  # type: ignore[arg-type]
    with pytest.raises(TemporaryMailError):
        mailer.send(_message())  # type: ignore[arg-type]  # the kept connection is dead
    mailer.close()


def test_password_is_not_sent_in_clear_to_a_remote_server_without_starttls() -> None:
    target = SmtpTarget.from_url("smtp://user:pw@mail.example.org:587")
    assert not target.is_loopback
    assert SmtpTarget.from_url("smtp://user:pw@127.0.0.1:25").is_loopback


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, False, None, None)),
        ("smtps://u%40x:p%3Aw@mail.example.org", ("mail.example.org", 465, True, "u@x", "p:w")),
        ("smtp://user:pass@host:587", ("host", 587, False, "user", "pass")),
    ],
)
def test_smtp_url_is_parsed(url: str, expected: tuple[object, ...]) -> None:
    target = SmtpTarget.from_url(url)
    assert (target.host, target.port, target.implicit_tls, target.username, target.password) == (
        expected
    )


@pytest.mark.parametrize("url", ["http://host", "smtp://", "mail.example.org"])
def test_a_malformed_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpTarget.from_url(url)


def test_console_mailer_prints_the_plain_part() -> None:
    stream = io.StringIO()
    ConsoleMailer(stream).send(_message())  # type: ignore[arg-type]
    assert "To: alice@example.org" in stream.getvalue()
    assert "Plain part" in stream.getvalue()


def test_without_smtp_url_mail_goes_to_the_console() -> None:
    assert isinstance(mailer_from_settings(_settings()), ConsoleMailer)


def test_smtp_password_is_hidden_in_shown_settings() -> None:
    shown = _settings(smtp_url="smtp://user:s3cret@host:587", secret_key="k3y").redacted()
    assert "s3cret" not in str(shown)
    assert "k3y" not in str(shown)
    assert shown["secret_key"] == "<hidden>"


@pytest.mark.parametrize(
    ("mail_from", "base_url", "domain"),
    [
        ("paperwire <digest@papers.example.org>", "", "papers.example.org"),
        ("digest@bücher.example", "", "xn--bcher-kva.example"),
        ("paperwire", "https://papers.example.org/", "papers.example.org"),
        ("paperwire <p@[192.0.2.1]>", "", "paperwire.invalid"),
    ],
)
def test_message_ids_are_unique_and_name_the_sender_never_the_machine(
    mail_from: str, base_url: str, domain: str
) -> None:
    settings = _settings(mail_from=mail_from, base_url=base_url)
    messages = [new_message(settings, to="a@example.org", subject="s") for _ in range(3)]
    ids = {str(message["Message-ID"]) for message in messages}
    assert len(ids) == 3 and all(found.endswith(f"@{domain}>") for found in ids)
    assert all(message["Date"] is not None for message in messages)
