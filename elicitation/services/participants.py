"""Participants: who takes part in a space, signed in, by link token or by external id."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from elicitation.models import Participant, Space
from elicitation.services.common import _next_counter
from elicitation.text import clean_text


def new_anon_token() -> str:
    return secrets.token_urlsafe(24)


def participant_get_or_create(
    *,
    space: Space,
    user: AbstractBaseUser | AnonymousUser | None = None,
    anon_token: str = "",
    xid: str = "",
) -> tuple[Participant, bool]:
    """The participant for a person in `space`, created with the next number if new.

    Identity, in order: an external id from an embedding site (`xid`), a
    logged-in user, an anonymous cookie token. The caller checked PARTICIPATE.
    """
    xid = clean_text(xid)
    if len(xid) > 200:
        raise ValidationError({"xid": _("An external id has at most 200 characters.")})
    authenticated = user is not None and user.is_authenticated
    lookup: dict[str, Any]
    if xid:
        if space.participation != Space.Participation.LINK:
            raise ValidationError(
                {"xid": _("External ids are only accepted in spaces open to anyone with the link.")}
            )
        lookup = {"xid": xid}
    elif authenticated:
        lookup = {"user": user}
    elif anon_token:
        lookup = {"anon_token": anon_token}
    else:
        raise ValidationError(_("A participant needs a user, an anonymous token or an xid."))
    existing = Participant.objects.filter(space=space, **lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            number = _next_counter(space.pk, "participant_counter")
            participant = Participant(
                space=space,
                number=number,
                user=user if authenticated and not xid else None,  # type: ignore[misc]
                anon_token=anon_token if not authenticated and not xid else "",
                xid=xid,
            )
            participant.full_clean(exclude=["space", "user"], validate_constraints=False)
            participant.save()
    except IntegrityError:
        # The same person's other request (a double click, two tabs) created
        # the participant between our lookup and insert: use theirs.
        return Participant.objects.get(space=space, **lookup), False
    participant.space = space
    return participant, True
