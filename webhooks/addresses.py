"""Where a webhook may be sent: public HTTPS servers only (a guard against SSRF).

An owner types the URL, and the worker then POSTs to it from inside our
network, so a URL naming (or resolving to) a private, loopback, link-local,
multicast or reserved address would let anyone with a community reach
internal services: the cloud metadata address, the database, Redis. The URL
is checked when it is registered and again, freshly resolved, before every
delivery; the delivery then connects to the very address that was checked
(a DNS answer that changes between the check and the connection cannot
redirect it), and redirects are not followed.

Loopback is allowed only when settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP is on (a
development machine, the tests), and then over plain http as well.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: where to connect, and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (tests replace this; there is no DNS in CI)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not receive webhooks, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        if settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP:
            return None
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_multicast:
        return _("a multicast address")
    if address.is_unspecified or address.is_reserved:
        return _("a reserved address")
    if address.is_private or not address.is_global:
        return _("a private address")
    return None


def _invalid(message: str) -> ValidationError:
    return ValidationError({"url": message})


class Unresolvable(ValidationError):
    """The host name does not resolve (now): not a refusal, the delivery may retry."""


def webhook_target(url: str, *, must_resolve: bool = True) -> Target | None:
    """Check `url` and resolve it to allowed addresses; a ValidationError names the field.

    At registration (`must_resolve=False`) a name that does not resolve yet is
    accepted (None): its owner may still be setting up DNS, and every delivery
    checks again, refusing to connect anywhere it may not.
    """
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        raise _invalid(_("The URL's port is not a number between 0 and 65535.")) from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise _invalid(_("Give a full URL, e.g. https://example.org/hooks/polyphony."))
    if parts.username or parts.password:
        raise _invalid(_("Leave user names and passwords out of the URL."))
    if parts.scheme == "http" and not settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP:
        raise _invalid(_("Webhook URLs must use https://."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses and not must_resolve:
        return None
    if not addresses:
        raise Unresolvable(
            {"url": _("The host name %(host)s could not be resolved.") % {"host": host}}
        )
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal(address)
        if reason and host == str(address):
            raise _invalid(
                _("%(address)s is %(reason)s: webhooks are only sent to public servers.")
                % {"address": address, "reason": reason}
            )
        if reason:
            raise _invalid(
                _(
                    "%(host)s resolves to %(address)s, %(reason)s: webhooks are only sent "
                    "to public servers."
                )
                % {"host": host, "address": address, "reason": reason}
            )
        if parts.scheme == "http" and not address.is_loopback:
            raise _invalid(_("Webhook URLs must use https:// (plain http only to loopback)."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])
