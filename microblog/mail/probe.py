"""Whether the configured SMTP server answers (for `flask doctor`): connect, greet, STARTTLS
and sign in as the notification mail would, send nothing."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from typing import Any

PROBE_SECONDS = 5.0


def smtp_problem(config: Mapping[str, Any]) -> str:
    """Why mail could not leave with these settings, or "" when the server took us in."""
    server, port = str(config.get("MAIL_SERVER") or ""), int(config.get("MAIL_PORT") or 25)
    timeout = min(float(config.get("MAIL_TIMEOUT") or PROBE_SECONDS), PROBE_SECONDS)
    host: smtplib.SMTP | None = None
    try:
        if config.get("MAIL_USE_SSL"):
            host = smtplib.SMTP_SSL(server, port, timeout=timeout)
        else:
            host = smtplib.SMTP(server, port, timeout=timeout)
        host.ehlo()
        if config.get("MAIL_USE_TLS"):
            host.starttls()
            host.ehlo()
        if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
            host.login(str(config["MAIL_USERNAME"]), str(config["MAIL_PASSWORD"]))
    except smtplib.SMTPAuthenticationError as exc:
        return f"{server}:{port} refused MAIL_USERNAME / MAIL_PASSWORD ({exc.smtp_code})"
    except smtplib.SMTPNotSupportedError:
        return f"{server}:{port} does not offer STARTTLS (MAIL_USE_TLS)"
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        reason = "no answer in time" if isinstance(exc, socket.timeout) else str(exc) or repr(exc)
        return f"cannot reach {server}:{port}: {reason}"
    finally:
        if host is not None:
            try:
                host.quit()
            except (OSError, smtplib.SMTPException):
                host.close()
    return ""
