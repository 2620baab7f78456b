"""Who may do what in a community: the permission table.

Every check in selectors and services goes through `role_allows`; templates
only mirror it. The README reproduces this table.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    FACILITATOR = "facilitator", "Facilitator"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer"


class Action(StrEnum):
    VIEW = "view"  # see a private community, its spaces and members
    EDIT_COMMUNITY = "edit_community"
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove, ban
    CREATE_SPACE = "create_space"
    MODERATE = "moderate"
    RUN_ANALYSIS = "run_analysis"
    PUBLISH_PROFILE = "publish_profile"  # also review drafts and retract
    PARTICIPATE = "participate"  # vote, propose, compare, rank, argue
    VIEW_RESULTS = "view_results"  # live results and published profiles


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.FACILITATOR: frozenset(Action) - {Action.EDIT_COMMUNITY},
    Role.MEMBER: frozenset({Action.VIEW, Action.PARTICIPATE, Action.VIEW_RESULTS}),
    Role.OBSERVER: frozenset({Action.VIEW, Action.VIEW_RESULTS}),
}

# Roles ordered from most to least powerful; used to stop a member acting
# above their own role (a facilitator cannot make someone an owner).
ROLE_RANK: dict[Role, int] = {
    Role.OWNER: 3,
    Role.FACILITATOR: 2,
    Role.MEMBER: 1,
    Role.OBSERVER: 0,
}


def role_allows(role: str | None, action: Action) -> bool:
    if role is None:
        return False
    return action in PERMISSIONS.get(Role(role), frozenset())
