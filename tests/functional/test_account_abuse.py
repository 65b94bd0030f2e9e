"""Accounts under attack over HTTP: log-in floods from many addresses, a reset link used at once."""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial
from pathlib import Path

import httpx
from crowds import all_at_once, crowd
from factories import PASSWORD
from personas import community_server, mails_to, people

from paperwire.community.accounts import PASSWORD_HASHING
from paperwire.storage import Database

FLOOD = 40


def _codes(responses: list[httpx.Response]) -> list[int]:
    return [response.status_code for response in responses]


def _retry_afters(responses: list[httpx.Response], status: int) -> list[int]:
    return [int(r.headers["retry-after"]) for r in responses if r.status_code == status]


def test_failed_log_ins_are_limited_per_account_whatever_the_address(
    db: Database, tmp_path: Path
) -> None:
    with (
        community_server(db, tmp_path, login_limit_per_minute=3) as base,
        people(base, "alice") as (alice,),
        crowd(base, "alice", FLOOD + 1) as guessers,
    ):
        alice.sign_up()
        *flood, owner = guessers
        tokens = [guesser.csrf() for guesser in flood]
        responses = all_at_once(
            [
                partial(
                    guesser.post, "/login", {"login": "alice", "password": f"guess {n}"}, token=t
                )
                for n, (guesser, t) in enumerate(zip(flood, tokens, strict=True))
            ]
        )
        codes = _codes(responses)
        # Each address tried once; the account allowed three failures, then said when to retry.
        assert set(codes) <= {400, 429} and 1 <= codes.count(400) <= 3, codes
        assert len(_retry_afters(responses, 429)) == codes.count(429)
        assert min(_retry_afters(responses, 429)) >= 1
        # The right password, from yet another address: the account is still resting.
        refused = owner.log_in()
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_password_checks_beyond_the_hashing_budget_wait_then_get_503(
    db: Database, tmp_path: Path
) -> None:
    with (
        community_server(db, tmp_path) as base,
        crowd(base, "mallory", 8) as guessers,
    ):
        tokens = [guesser.csrf() for guesser in guessers]
        with ExitStack() as taken:
            # As when every slot of the process's budget is busy hashing other passwords.
            for _ in range(PASSWORD_HASHING.slots):
                taken.enter_context(PASSWORD_HASHING.slot())
            responses = all_at_once(
                [
                    partial(
                        guesser.post, "/login", {"login": f"user{n}", "password": "guess"}, token=t
                    )
                    for n, (guesser, t) in enumerate(zip(guessers, tokens, strict=True))
                ]
            )
        assert _codes(responses) == [503] * len(guessers)
        assert min(_retry_afters(responses, 503)) >= 1
        again = guessers[0].post("/login", {"login": "user0", "password": "guess"}, token=tokens[0])
        assert again.status_code == 400  # the slots are free again


def test_a_reset_link_sent_by_eight_requests_at_once_works_once(
    db: Database, tmp_path: Path
) -> None:
    with (
        community_server(db, tmp_path) as base,
        people(base, "alice") as (alice,),
        crowd(base, "alice", 8) as tabs,
    ):
        alice.sign_up()
        alice.post("/reset", {"email": alice.email})
        (mail,) = mails_to(alice.mailbox, alice.email, "Reset your paperwire password")
        link = next(w for w in str(mail.get_content()).split() if "/reset/" in w)
        path = link.removeprefix(base)
        tokens = [tab.csrf(path) for tab in tabs]
        responses = all_at_once(
            [
                partial(tab.post, path, {"password": f"new password number {n}"}, token=t)
                for n, (tab, t) in enumerate(zip(tabs, tokens, strict=True))
            ]
        )
        codes = _codes(responses)
        assert codes.count(303) == 1 and set(codes) <= {303, 400, 429}, codes
        chosen = f"new password number {codes.index(303)}"
        assert alice.log_in(PASSWORD).status_code == 400
        assert alice.log_in(chosen).status_code == 303
