"""Connectors that hand contact requests to the helpdesk a shop already uses.

Each is a Sender for the outbox (outbox.py): `send(delivery)` returns once the helpdesk has
the ticket and raises DeliveryError (retried, honouring Retry-After) or PermanentDeliveryError
(given up at once, shown in /admin/). A retry never makes a second ticket: each connector
first looks for the ticket by our reference (or lets the helpdesk dedupe by an external id)
and only adds what is missing. `check()` makes a harmless read and says what is wrong.

PORTAL_HELPDESK picks one: webhook | smtp | zendesk | freshdesk | zammad | helpscout |
chatwoot | django-helpdesk (docs/handoff.md).
"""

from __future__ import annotations

import abc
import base64
import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...config import Settings
from ..delivery import ConfigurationError, Delivery, DeliveryError, PermanentDeliveryError
from .ticket import Ticket, build_ticket

if TYPE_CHECKING:  # senders.py imports this package when it picks a connector
    from ..senders import SmtpSender

HELPDESKS = ("webhook", "smtp", "zendesk", "freshdesk", "zammad", "helpscout", "chatwoot",
             "django-helpdesk")


class Connector(abc.ABC):
    """The shared shape: build the ticket once, then the vendor's `deliver`."""

    title = "helpdesk"
    # The PORTAL_* settings that hold credentials, named when the helpdesk refuses them.
    credential_settings: tuple[str, ...] = ()

    def send(self, delivery: Delivery) -> None:
        self.deliver(build_ticket(delivery.payload), delivery.idempotency_key)

    @abc.abstractmethod
    def deliver(self, ticket: Ticket, idempotency_key: str) -> None:
        """Create the ticket (or find the one an earlier attempt created) with its internal note."""

    @abc.abstractmethod
    def check(self) -> str:
        """A harmless read; returns what was verified, raises DeliveryError when it fails."""


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def required(config: Settings, vendor: str, *names: str) -> list[str]:
    """The values of these settings, or one ConfigurationError naming every missing one."""
    missing = [f"PORTAL_{name}" for name in names if not config.get(name)]
    if missing:
        raise ConfigurationError(f"PORTAL_HELPDESK={vendor} needs " + ", ".join(missing)
                                 + " (docs/handoff.md)")
    return [str(config[name]) for name in names]


def integer_setting(config: Settings, name: str) -> int:
    value = config.get(name)
    try:
        return int(str(value))
    except ValueError:
        raise ConfigurationError(f"PORTAL_{name} must be a number (the id shown in the helpdesk), "
                                 f"not {value!r}") from None


def optional_integer_setting(config: Settings, name: str) -> int | None:
    """integer_setting, or None when the setting is not given."""
    return None if config.get(name) in (None, "") else integer_setting(config, name)


def _factories() -> dict[str, Callable[[Settings], Connector]]:
    from . import chatwoot, django_helpdesk, freshdesk, helpscout, zammad, zendesk

    return {"zendesk": zendesk.from_config, "freshdesk": freshdesk.from_config,
            "zammad": zammad.from_config, "helpscout": helpscout.from_config,
            "chatwoot": chatwoot.from_config, "django-helpdesk": django_helpdesk.from_config}


def connector_from_config(name: str, config: Settings) -> Connector:
    """The connector PORTAL_HELPDESK names, built from its settings (ConfigurationError if incomplete)."""
    factories = _factories()
    if name not in factories:
        raise ConfigurationError(f"PORTAL_HELPDESK={name!r} is not a helpdesk this portal knows; "
                                 f"use one of: {', '.join(HELPDESKS)}")
    try:
        return factories[name](config)
    except ValueError as error:  # a malformed URL
        if isinstance(error, ConfigurationError):
            raise
        raise ConfigurationError(f"PORTAL_HELPDESK={name}: {error}") from None


def explain(connector: Connector, error: DeliveryError) -> str:
    """A check's failure in plain words: what the helpdesk said and which setting to look at."""
    status = getattr(error, "status", None)
    settings = " and ".join(connector.credential_settings)
    if status == 401:
        hint = f"the {connector.title} credentials were refused: check {settings}"
    elif status == 403:
        hint = (f"{connector.title} accepted the credentials but this account may not do this: "
                f"use an agent or administrator account ({settings})")
    elif status == 404:
        hint = (f"{connector.title} has no such address or object: check the URL and the "
                "ids in the settings")
    elif isinstance(error, PermanentDeliveryError):
        hint = f"{connector.title} refused the request"
    else:
        hint = (f"{connector.title} could not be reached or had a temporary problem; deliveries "
                "will be retried, but check the URL if this persists")
    return f"{hint}. ({error})"


def check_smtp(sender: SmtpSender) -> str:
    """Connect, STARTTLS and log in as a delivery would, then leave without sending anything."""
    try:
        with sender.session() as smtp:
            smtp.noop()
    except smtplib.SMTPAuthenticationError as error:
        reply = error.smtp_error
        answer = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
        raise DeliveryError("the mail server refused the login: check PORTAL_SMTP_USER and "
                            f"PORTAL_SMTP_PASSWORD ({error.smtp_code} {answer})") from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"the mail server {sender.host}:{sender.port} could not be reached or refused "
                            "the connection: check PORTAL_SMTP_HOST, PORTAL_SMTP_PORT and "
                            f"PORTAL_SMTP_STARTTLS ({type(error).__name__}: {error})") from None
    login = f" as {sender.user}" if sender.user else ""
    return f"e-mail: connected to {sender.host}:{sender.port}{login}; requests go to {sender.recipient}"
