"""Small filters for showing profile figures."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from aggregation import naming, pictures, profiles, report

register = template.Library()


@register.filter
def pct(value: Any) -> str:
    """0.734 -> "73%"; None -> "n/a"."""
    if value is None or value == "":
        return _("n/a")
    return f"{float(value) * 100:.0f}%"


@register.filter
def signed(value: Any, digits: int = 2) -> str:
    if value is None:
        return _("n/a")
    return f"{float(value):+.{int(digits)}f}"


@register.filter
def points(value: Any) -> str:
    """A change of a rate in percentage points: 0.19 -> "+19 points"; None -> "n/a"."""
    if value is None or value == "":
        return _("n/a")
    n = round(float(value) * 100)
    if not n:
        return _("no change")
    return ngettext("%(points)s point", "%(points)s points", abs(n)) % {"points": f"{n:+d}"}


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """mapping[key] for dicts in templates (rule names, group ids)."""
    if not mapping:
        return None
    return mapping.get(key, mapping.get(str(key)))


@register.filter
def group_rate(value: dict[str, Any], group_id: int) -> Any:
    for g in value.get("groups", []):
        if g["group"] == group_id:
            return g["agree_rate"]
    return None


@register.filter
def width(value: Any, total: Any) -> str:
    """Percentage width of a bar segment, as a CSS number."""
    try:
        return f"{100 * float(value) / float(total):.1f}" if float(total) else "0"
    except (TypeError, ValueError):
        return "0"


@register.filter
def article(word: str) -> str:
    """ "owner" -> "an owner", "facilitator" -> "a facilitator"."""
    return profiles.role_with_article(word) if word else ""


# A chart's time bucket as a reader sees it ("votes per day"); pictures.py keeps
# the English code and stays free of Django.
BUCKET_NAMES = {
    "hour": pgettext_lazy("time bucket: votes per …", "hour"),
    "day": pgettext_lazy("time bucket: votes per …", "day"),
    "week": pgettext_lazy("time bucket: votes per …", "week"),
    "month": pgettext_lazy("time bucket: votes per …", "month"),
    "year": pgettext_lazy("time bucket: votes per …", "year"),
}


@register.filter
def bucket_name(bucket: str) -> str:
    return str(BUCKET_NAMES.get(bucket, bucket))


@register.filter
def direction_word(direction: str) -> str:
    """How a group's representative statement sets it apart: "agrees" / "disagrees"."""
    if direction == "agree":
        return pgettext("a group … with a statement", "agrees")
    if direction == "disagree":
        return pgettext("a group … with a statement", "disagrees")
    return f"{direction}s"


RULE_LABELS = {
    "borda": "Borda",
    "copeland": "Copeland",
    "schulze": "Schulze",
    "ranked_pairs": "Ranked Pairs",
    "instant_runoff": pgettext_lazy("ranking rule", "Instant runoff"),
    "kemeny": "Kemeny-Young",
    "kemeny_young": "Kemeny-Young",
}


@register.filter
def rule_label(rule: str) -> str:
    """A ranking rule's key as people write its name ("ranked_pairs" -> "Ranked Pairs")."""
    return str(RULE_LABELS.get(rule, rule.replace("_", " ").capitalize()))


@register.filter
def class_word(classification: str | None) -> str:
    """A value's class in a participant's words ("bridging" -> "Bridges the groups")."""
    return report.class_word(classification)


@register.filter
def class_explained(classification: str | None) -> str:
    return str(report.CLASS_EXPLAINED.get(classification or "", ""))


@register.filter
def value_summary(value: dict[str, Any]) -> str:
    """One plain line for a profile value: "82% agree, across all three groups"."""
    rates = [g.get("agree_rate") for g in sorted(value.get("groups", []), key=lambda g: g["group"])]
    return report.support_summary(value["support"]["agree_rate"], rates)


@register.filter
def group_letter(group_id: Any) -> str:
    return naming.group_letter(int(group_id))


@register.filter
def group_colour(group_id: Any) -> str:
    return pictures.group_style(int(group_id)).colour


@register.filter
def group_stands_for(group: dict[str, Any]) -> str:
    """What a profile's opinion group stands for: 'for “…”, against “…”' (may be empty)."""
    reps = group.get("representative", [])
    return report.stands_for(reps, {r["statement"]: r["text"] for r in reps})


@register.filter
def percent_number(rate: Any) -> str:
    """0.734 -> "73.4" for an SVG width out of 100; None -> "0"."""
    if rate is None or rate == "":
        return "0"
    return f"{100 * float(rate):.1f}"
