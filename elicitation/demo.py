"""The demo community: written for the demo, with simulated participants.

Three camps of simulated voters (growth-first, ecology-first, community-first)
vote on statements written for the demo with camp-specific probabilities, so
the analysis finds real opinion groups, consensus and bridging statements.
"""

from __future__ import annotations

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from communities.models import Community, Membership
from communities.roles import Role
from elicitation.models import ModerationStatus, Participant, Space, Statement, Vote, VoteEvent

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "polyphony-demo"
DEMO_COMMUNITY_SLUG = "riverside"

# (text, agree probability per camp: growth, ecology, community)
DEMO_STATEMENTS: list[tuple[str, tuple[float, float, float]]] = [
    ("Every neighbourhood should have a park within a ten-minute walk.", (0.7, 0.95, 0.9)),
    (
        "Decisions about the riverfront should be made with residents, not for them.",
        (0.75, 0.9, 0.95),
    ),
    ("New housing matters more than keeping the old warehouses.", (0.9, 0.2, 0.5)),
    ("The river's wildlife should come before new development.", (0.1, 0.95, 0.5)),
    ("Local businesses deserve tax breaks to stay in the area.", (0.9, 0.3, 0.7)),
    ("Cars should be banned from the town centre on weekends.", (0.15, 0.9, 0.55)),
    ("Public money should fund a community centre before a new stadium.", (0.3, 0.7, 0.95)),
    ("We should build taller buildings near the station to limit sprawl.", (0.85, 0.55, 0.35)),
    ("Clean drinking water is a right, not a product.", (0.8, 0.95, 0.95)),
    ("Night-time noise rules should be stricter.", (0.3, 0.6, 0.8)),
    ("Volunteering should count towards paying local taxes.", (0.35, 0.5, 0.85)),
    ("Farmland at the edge of town must stay farmland.", (0.15, 0.9, 0.6)),
    ("The council should publish every contract it signs.", (0.75, 0.85, 0.9)),
    ("Tourism brings more good than harm to our town.", (0.9, 0.25, 0.4)),
    ("Children should be able to walk to school safely on their own.", (0.8, 0.9, 0.95)),
    ("A new bridge is worth the cost even if it takes ten years to pay off.", (0.85, 0.2, 0.45)),
]


def load_demo(*, n_participants: int, rng: np.random.Generator) -> bool:
    """Create the demo objects if absent; returns False when they already existed."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "demo@example.org"}
    )
    if not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    community, created = Community.objects.get_or_create(
        slug=DEMO_COMMUNITY_SLUG,
        defaults={
            "name": "Riverside Commons",
            "description": "A town deciding what it values as the riverfront is redeveloped.",
            "created_by": user,
        },
    )
    Membership.objects.get_or_create(user=user, community=community, defaults={"role": Role.OWNER})
    if not created:
        return False
    space = Space.objects.create(
        community=community,
        title="The future of the riverfront",
        slug="riverfront",
        question="What should guide how we redevelop the riverfront?",
        description="Vote on the statements, add your own, compare and rank what matters most.",
        phase=Space.Phase.OPEN,
        created_by=user,
    )
    statements = [
        Statement(
            space=space,
            number=i,
            text=text,
            normalized_text=text.lower(),
            is_seed=True,
            status=ModerationStatus.ACCEPTED,
        )
        for i, (text, _) in enumerate(DEMO_STATEMENTS)
    ]
    Statement.objects.bulk_create(statements)
    space.statement_counter = len(statements)
    probabilities = np.array([p for _, p in DEMO_STATEMENTS])  # statements x camps
    participants = [
        Participant(space=space, number=i, anon_token=f"demo-{i}") for i in range(n_participants)
    ]
    Participant.objects.bulk_create(participants)
    space.participant_counter = n_participants
    space.save(update_fields=["statement_counter", "participant_counter"])
    # Bulk inserts rather than one service call per vote: this is seed data and
    # a few thousand votes through the vote service would slow `make run`.
    now = timezone.now()
    votes: list[Vote] = []
    events: list[VoteEvent] = []
    for i, participant in enumerate(participants):
        camp = i % 3
        seen = rng.random(len(statements)) < 0.85
        for j, statement in enumerate(statements):
            if not seen[j]:
                continue
            draw = rng.random()
            p_agree = probabilities[j, camp]
            value = 1 if draw < p_agree * 0.9 else (0 if draw < p_agree * 0.9 + 0.1 else -1)
            votes.append(
                Vote(participant=participant, statement=statement, value=value, updated_at=now)
            )
            events.append(
                VoteEvent(participant=participant, statement=statement, value=value, created_at=now)
            )
    Vote.objects.bulk_create(votes)
    VoteEvent.objects.bulk_create(events)
    return True
