"""Create (or reuse) the demo community, space, statements and simulated voters."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from elicitation import demo


class Command(BaseCommand):
    help = "Load the demo community with a space whose simulated votes form opinion groups."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--participants", type=int, default=60)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            created = demo.load_demo(
                n_participants=options["participants"], rng=np.random.default_rng(options["seed"])
            )
        user = get_user_model().objects.get(username=demo.DEMO_USERNAME)
        if created:
            version = demo.publish_first_profile(user=user)
            self.stdout.write(f"Analysed the demo space and published value profile v{version}.")
        verb = "Created" if created else "Reused"
        self.stdout.write(
            f"{verb} the demo community. Log in as {user.username} / {demo.DEMO_PASSWORD}"
        )
