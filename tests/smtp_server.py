"""A real SMTP server for the tests (aiosmtpd), on a free port, that can be stopped and
started again on the same port (the mail server going down and coming back).

    with SMTPServer() as smtp:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        ...
        [mail] = smtp.wait_for(1)
        mail["Subject"], mail.get_body(("plain",)).get_content()
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from servers import free_port


class Collector:
    """An aiosmtpd handler that keeps every message it accepts, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived_at: list[float] = []
        self.lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived_at.append(time.time())
            self.lock.notify_all()
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd on 127.0.0.1:<free port>; `stop()` and `start()` keep the port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 15) -> list[EmailMessage]:
        """The messages once at least `count` have arrived (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self.collector.lock:
            while len(self.collector.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.collector.messages)} mails arrived, expected {count}"
                    )
                self.collector.lock.wait(left)
            return list(self.collector.messages)

    def __enter__(self) -> SMTPServer:
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
