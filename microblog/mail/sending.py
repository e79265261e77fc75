"""How a mail is built and how it leaves: multipart from `templates/mail/`, through
Flask-Mail's settings, always from a job (never during a request).

The HTML templates autoescape everything, and the only markup a reader wrote that reaches
them is a comment's `body_html`, already cleaned by `sanitize` at submission; no template
carries script. No MAIL_SERVER, no mail: nothing is queued, nothing else changes.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from collections.abc import Mapping
from email import policy
from email.mime.base import MIMEBase
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template
from flask_mail import Connection, Message

from microblog import jobs


def mail_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Whether mail is configured (a MAIL_SERVER is set)."""
    config = current_app.config if config is None else config
    return bool(config.get("MAIL_SERVER"))


class TimedConnection(Connection):
    """Flask-Mail's connection with a timeout: a server that accepts and then hangs must not
    hold a job past its lease."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        state = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class LiteralHeaders(Message):
    """A Flask-Mail message whose headers are folded only where RFC 5322 must (998
    characters), not at 78: a longer header Python's mail package would otherwise write as
    RFC 2047 encoded words (`List-Unsubscribe: =?utf-8?q?=3Chttp…`) as soon as a mail holds
    any non-ASCII text, and mail programs read `List-Unsubscribe`, `Message-ID` and the like
    literally (no one-click unsubscribe button was shown)."""

    def _message(self) -> MIMEBase:
        message = super()._message()
        message.policy = policy.SMTP.clone(max_line_length=998)
        return message


def message_id(part: str = "") -> str:
    """A Message-ID that is the same for every attempt of the running job (so a mail sent
    twice after a crash is recognisably one)."""
    job_id = jobs.current_job_id.get()
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ")
    domain = domain or socket.getfqdn()
    if job_id is None:
        return make_msgid(domain=domain)
    return f"<microblog-job-{job_id}{part}@{domain}>"


def one_line(text: str, limit: int = 150) -> str:
    """Text fit for a header: one line, bounded (a reader's words can be anything)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compose(
    template: str,
    subject: str,
    recipient: str,
    headers: Mapping[str, str] | None = None,
    id_part: str = "",
    **context: Any,
) -> Message:
    """A multipart mail from `templates/mail/<template>.txt` and `.html`, to one address
    (a mail never shows one reader's address to another)."""
    context = {"site_title": current_app.config["SITE_TITLE"], **context}
    message = LiteralHeaders(
        subject=one_line(subject, 200),
        recipients=[recipient],
        body=render_template(f"mail/{template}.txt", **context),
        html=render_template(f"mail/{template}.html", **context),
        extra_headers=dict(headers or {}),
    )
    message.msgId = message_id(id_part)
    return message


# One SMTP connection per runner thread, kept for the mails of one batch of jobs and closed
# after it (jobs.AFTER_BATCH): a burst of comments does not open a connection per mail.
_open = threading.local()


def _connection() -> TimedConnection:
    connection = getattr(_open, "connection", None)
    if connection is None:
        connection = TimedConnection(current_app.extensions["mail"])
        connection.__enter__()
        _open.connection = connection
    return connection


def close_connection() -> None:
    """Say goodbye to the SMTP server, if a connection is open in this thread."""
    connection = getattr(_open, "connection", None)
    _open.connection = None
    if connection is not None:
        try:
            connection.__exit__(None, None, None)
        except (smtplib.SMTPException, OSError):
            pass  # it went away on its own


def deliver(message: Message) -> None:
    """Hand one message to the SMTP server (raises when it is down or refuses).

    A kept connection the server has closed since is opened again once.
    """
    if not mail_enabled():
        # A host whose settings lack the mail server took a mail job others queued.
        raise RuntimeError(
            "MAIL_SERVER is not set on this host: the mail waits for one that has it"
        )
    try:
        message.send(_connection())
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        close_connection()
        try:
            message.send(_connection())
        except Exception:
            close_connection()
            raise
    except Exception:
        close_connection()
        raise


jobs.AFTER_BATCH.append(close_connection)
