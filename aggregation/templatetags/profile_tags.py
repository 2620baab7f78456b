"""Small filters for showing profile figures."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: Any) -> str:
    """0.734 -> "73%"; None -> "n/a"."""
    if value is None or value == "":
        return "n/a"
    return f"{float(value) * 100:.0f}%"


@register.filter
def signed(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{float(value):+.{int(digits)}f}"


@register.filter
def points(value: Any) -> str:
    """A change of a rate in percentage points: 0.19 -> "+19 points"; None -> "n/a"."""
    if value is None or value == "":
        return "n/a"
    n = round(float(value) * 100)
    return f"{n:+d} point{'' if abs(n) == 1 else 's'}" if n else "no change"


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
    if not word:
        return ""
    return f"{'an' if word[0].lower() in 'aeiou' else 'a'} {word}"


RULE_LABELS = {
    "borda": "Borda",
    "copeland": "Copeland",
    "schulze": "Schulze",
    "ranked_pairs": "Ranked Pairs",
    "instant_runoff": "Instant runoff",
    "kemeny": "Kemeny-Young",
    "kemeny_young": "Kemeny-Young",
}


@register.filter
def rule_label(rule: str) -> str:
    """A ranking rule's key as people write its name ("ranked_pairs" -> "Ranked Pairs")."""
    return RULE_LABELS.get(rule, rule.replace("_", " ").capitalize())
