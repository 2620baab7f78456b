"""Who may do what in a community: the permission table.

Every check in selectors and services goes through `role_allows`; templates
only mirror it. The README's table is `permission_table_markdown()`, and a
test keeps the two the same.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    OWNER = "owner", pgettext_lazy("role", "Owner")
    FACILITATOR = "facilitator", pgettext_lazy("role", "Facilitator")
    MEMBER = "member", pgettext_lazy("role", "Member")
    OBSERVER = "observer", pgettext_lazy("role", "Observer")


class Action(StrEnum):
    VIEW = "view"  # see a private community, its spaces and members
    EDIT_COMMUNITY = "edit_community"
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove, ban
    MANAGE_SEGMENTS = "manage_segments"  # define the optional segment questions
    CREATE_SPACE = "create_space"
    MODERATE = "moderate"
    RUN_ANALYSIS = "run_analysis"
    PUBLISH_PROFILE = "publish_profile"  # also review drafts and retract
    PARTICIPATE = "participate"  # vote, propose, compare, rank, argue
    VIEW_RESULTS = "view_results"  # live results and published profiles


# How the README names each action.
ACTION_LABELS: dict[Action, str] = {
    Action.VIEW: "see a private community, its spaces and members",
    Action.EDIT_COMMUNITY: "edit the community",
    Action.MANAGE_MEMBERS: "manage members (invite, change roles, remove, ban)",
    Action.MANAGE_SEGMENTS: "define segment questions",
    Action.CREATE_SPACE: "create and edit spaces, import from Pol.is",
    Action.MODERATE: "moderate statements, arguments and flags",
    Action.RUN_ANALYSIS: "run an analysis",
    Action.PUBLISH_PROFILE: "review, publish and retract value profiles",
    Action.PARTICIPATE: "vote, propose, compare, rank, argue",
    Action.VIEW_RESULTS: "see live results and published profiles",
}

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


def role_rank(role: str) -> int:
    return ROLE_RANK[Role(role)]


def role_may_assign(actor_role: str | None, role: str) -> bool:
    """Whether someone with `actor_role` may give `role` to anyone (never above their own)."""
    if not role_allows(actor_role, Action.MANAGE_MEMBERS) or actor_role is None:
        return False
    return role_rank(role) <= role_rank(actor_role)


def role_may_act_on(actor_role: str | None, target_role: str) -> bool:
    """Whether `actor_role` may change, remove or ban a member who holds `target_role`.

    Owners may act on anyone (the last-owner rule is checked by the service);
    facilitators only on members strictly below them, so two facilitators
    cannot remove each other and nobody but an owner touches an owner.
    """
    if actor_role is None or not role_allows(actor_role, Action.MANAGE_MEMBERS):
        return False
    if Role(actor_role) == Role.OWNER:
        return True
    return role_rank(target_role) < role_rank(actor_role)


def permission_table_markdown() -> str:
    """The permission table as Markdown, generated from PERMISSIONS (for the README)."""
    roles = list(Role)
    header = "| action | " + " | ".join(r.label.lower() for r in roles) + " |"
    rule = "|---|" + "---|" * len(roles)
    rows = [
        f"| {ACTION_LABELS[action]} | "
        + " | ".join("yes" if action in PERMISSIONS[r] else "no" for r in roles)
        + " |"
        for action in Action
    ]
    return "\n".join([header, rule, *rows])
