"""The demo community: written for the demo, with simulated participants.

Three camps of simulated voters (growth-first, ecology-first, community-first)
vote on statements written for the demo with camp-specific probabilities, so
the analysis finds real opinion groups, consensus and bridging statements.
"""

from __future__ import annotations

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from communities.models import Community, Membership
from communities.roles import Role
from elicitation.models import (
    Comparison,
    ModerationStatus,
    Participant,
    Ranking,
    RankingEntry,
    Space,
    SpaceTranslation,
    Statement,
    StatementTranslation,
    Vote,
    VoteEvent,
)

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

# The demo space in the site's other languages, so a visitor whose browser
# asks for German, French or Spanish sees translated content (and the toggle
# back to the original): language -> (title, question, description).
DEMO_SPACE_TRANSLATIONS: dict[str, tuple[str, str, str]] = {
    "de": (
        "Die Zukunft des Flussufers",
        "Woran sollen wir uns bei der Neugestaltung des Flussufers orientieren?",
        "Stimmen Sie über die Aussagen ab, ergänzen Sie eigene, vergleichen und ordnen Sie, "
        "was am meisten zählt.",
    ),
    "fr": (
        "L'avenir des berges",
        "Qu'est-ce qui doit guider le réaménagement des berges ?",
        "Votez sur les propositions, ajoutez les vôtres, comparez et classez ce qui compte "
        "le plus.",
    ),
    "es": (
        "El futuro de la ribera",
        "¿Qué debería guiar la remodelación de la ribera?",
        "Vota las afirmaciones, añade las tuyas, compara y ordena lo que más importa.",
    ),
}

# A few statements translated (statement number -> language -> text); the
# others show their English original, as in a real space still being translated.
DEMO_STATEMENT_TRANSLATIONS: dict[int, dict[str, str]] = {
    0: {
        "de": "Jedes Viertel sollte einen Park in zehn Gehminuten Entfernung haben.",
        "fr": "Chaque quartier devrait avoir un parc à moins de dix minutes à pied.",
        "es": "Cada barrio debería tener un parque a menos de diez minutos a pie.",
    },
    1: {
        "de": "Über das Flussufer sollte mit den Anwohnern entschieden werden, nicht über sie "
        "hinweg.",
        "fr": "Les décisions sur les berges doivent se prendre avec les habitants, pas à leur "
        "place.",
        "es": "Las decisiones sobre la ribera deben tomarse con los vecinos, no por ellos.",
    },
    3: {
        "de": "Die Tierwelt des Flusses sollte Vorrang vor neuer Bebauung haben.",
        "fr": "La faune de la rivière doit passer avant les nouvelles constructions.",
        "es": "La fauna del río debe ir antes que las nuevas construcciones.",
    },
    8: {
        "de": "Sauberes Trinkwasser ist ein Recht, keine Ware.",
        "fr": "L'eau potable est un droit, pas un produit.",
        "es": "El agua potable es un derecho, no un producto.",
    },
    14: {
        "de": "Kinder sollten sicher allein zur Schule gehen können.",
        "fr": "Les enfants devraient pouvoir aller seuls à l'école en sécurité.",
        "es": "Los niños deberían poder ir solos al colegio con seguridad.",
    },
}


def _add_demo_translations(*, space: Space, user: User) -> None:
    """The demo's translations, added where missing (so an older demo database gets them too)."""
    SpaceTranslation.objects.bulk_create(
        [
            SpaceTranslation(
                space=space,
                language=language,
                title=title,
                question=question,
                description=description,
                updated_by=user,
            )
            for language, (title, question, description) in DEMO_SPACE_TRANSLATIONS.items()
        ],
        ignore_conflicts=True,
    )
    statements = {
        s.number: s for s in space.statements.filter(number__in=DEMO_STATEMENT_TRANSLATIONS)
    }
    StatementTranslation.objects.bulk_create(
        [
            StatementTranslation(
                statement=statements[number], language=language, text=text, added_by=user
            )
            for number, texts in DEMO_STATEMENT_TRANSLATIONS.items()
            if number in statements
            for language, text in texts.items()
        ],
        ignore_conflicts=True,
    )


def load_demo(*, n_participants: int, rng: np.random.Generator) -> bool:
    """Create the demo objects if absent; returns False when they already existed."""
    user_model = get_user_model()
    user, user_created = user_model.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "demo@example.org"}
    )
    # get_or_create leaves an empty password, which Django counts as "usable".
    if user_created or not user.password:
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
        existing = Space.objects.filter(community=community, slug="riverfront").first()
        if existing is not None:
            _add_demo_translations(space=existing, user=user)
        return False
    space = Space.objects.create(
        community=community,
        title="The future of the riverfront",
        slug="riverfront",
        question="What should guide how we redevelop the riverfront?",
        description="Vote on the statements, add your own, compare and rank what matters most.",
        phase=Space.Phase.OPEN,
        # Open to anyone with the link, so a visitor can try voting at once.
        participation=Space.Participation.LINK,
        # The demo may be embedded anywhere, to try the embed script.
        embed_origins="*",
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
    _add_demo_translations(space=space, user=user)
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
    _simulate_comparisons_and_ballots(
        participants=participants,
        statements=statements,
        probabilities=probabilities,
        ballot_size=space.ranking_size,
        rng=rng,
    )
    return True


def _simulate_comparisons_and_ballots(
    *,
    participants: list[Participant],
    statements: list[Statement],
    probabilities: np.ndarray,
    ballot_size: int,
    rng: np.random.Generator,
) -> None:
    """Each simulated participant compares a few pairs and ranks a top k, by their camp's taste."""
    comparisons: list[Comparison] = []
    ballots: list[tuple[Ranking, list[int]]] = []
    for i, participant in enumerate(participants):
        taste = probabilities[:, i % 3] + rng.normal(0, 0.1, len(statements))
        for _ in range(6):
            a, b = (int(x) for x in rng.choice(len(statements), size=2, replace=False))
            if abs(taste[a] - taste[b]) < 0.05:
                choice = Comparison.Choice.NEITHER
            else:
                choice = Comparison.Choice.A if taste[a] > taste[b] else Comparison.Choice.B
            comparisons.append(
                Comparison(
                    participant=participant,
                    statement_a=statements[a],
                    statement_b=statements[b],
                    choice=choice,
                )
            )
        if i % 2 == 0:  # half of them submit a ballot
            top = [int(j) for j in np.argsort(-taste)[:ballot_size]]
            ballots.append((Ranking(participant=participant), top))
    Comparison.objects.bulk_create(comparisons)
    Ranking.objects.bulk_create([ranking for ranking, _ in ballots])
    RankingEntry.objects.bulk_create(
        RankingEntry(ranking=ranking, statement=statements[j], position=position)
        for ranking, top in ballots
        for position, j in enumerate(top, start=1)
    )


def publish_first_profile(*, user: User) -> int:
    """Analyse the demo space in this process and publish the draft as version 1.

    Run here rather than on the worker so the demo has a published profile
    (and the API tour works) the moment the site is up.
    """
    from aggregation import services as aggregation_services
    from aggregation.models import AnalysisRun, ValueProfile

    space = Space.objects.get(community__slug=DEMO_COMMUNITY_SLUG, slug="riverfront")
    # Run here, not on a worker: a worker that happened to be running would
    # otherwise race this process for the run (and win it sometimes).
    run = aggregation_services.run_request(
        space=space, trigger=AnalysisRun.Trigger.MANUAL, requested_by=user, enqueue=False
    )
    if run is None:  # a run is already queued; the worker will do it
        return 0
    aggregation_services.run_execute(run_id=run.pk)
    draft = ValueProfile.objects.get(run=run, status=ValueProfile.Status.DRAFT)
    published = aggregation_services.profile_publish(profile=draft, actor=user)
    return published.version or 0
