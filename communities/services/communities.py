"""Creating and editing communities."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.roles import Role
from communities.services.common import _clean_name, _lock_community, _slug_taken_error
from config.exceptions import Forbidden


@transaction.atomic
def community_create(
    *,
    user: User,
    name: str,
    slug: str = "",
    description: str = "",
    visibility: str = Community.Visibility.PUBLIC,
) -> Community:
    """Create a community; its creator becomes its first owner."""
    if not user.is_authenticated:
        raise Forbidden(_("Log in to create a community."), code="login_required")
    name = _clean_name(name)
    slug = (slug or slugify(name))[:60].strip("-")
    if not slug:
        raise ValidationError({"slug": _("Give an address (letters, digits, hyphens).")})
    if Community.objects.filter(slug=slug).exists():
        raise _slug_taken_error(slug, user)
    community = Community(
        name=name,
        slug=slug,
        description=description.strip(),
        visibility=visibility,
        created_by=user,
    )
    community.full_clean()
    try:
        # A savepoint, so a concurrent creation of the same slug (which passes
        # the check above) turns into the same clear error, not a 500.
        with transaction.atomic():
            community.save()
    except IntegrityError:
        raise _slug_taken_error(slug, user) from None
    owner = Membership(user=user, community=community, role=Role.OWNER)
    owner.full_clean()
    owner.save()
    return community


@transaction.atomic
def community_update(
    *,
    actor: User | AnonymousUser,
    community: Community,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
) -> Community:
    """Change the given fields (None leaves a field as it is).

    The caller checked EDIT_COMMUNITY; `actor` decides only whether a taken
    address may name the community that holds it.
    """
    community = _lock_community(community)
    changed: list[str] = []
    if name is not None:
        community.name = _clean_name(name)
        changed.append("name")
    if slug is not None and slug != community.slug:
        if Community.objects.filter(slug=slug).exclude(pk=community.pk).exists():
            raise _slug_taken_error(slug, actor)
        community.slug = slug
        changed.append("slug")
    if description is not None:
        community.description = description.strip()
        changed.append("description")
    if visibility is not None:
        community.visibility = visibility
        changed.append("visibility")
    community.full_clean()
    if changed:
        try:
            with transaction.atomic():
                community.save(update_fields=changed)
        except IntegrityError:
            raise _slug_taken_error(community.slug, actor) from None
    return community
