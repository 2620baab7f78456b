"""axe-core in a Playwright page: which accessibility rules a rendered page breaks.

axe-core comes from the npm registry through package.json / package-lock.json at
the project root (`npm ci` puts it in node_modules/, which git ignores). Without
it the calling test skips, naming `npm ci`; CI (POLYPHONY_REQUIRE_ALL=1) fails.

The script is evaluated through the DevTools protocol rather than added as a
<script> element, so a page's Content-Security-Policy (no inline script) does not
block it and the page under test is left as it is served.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.requirements import require_axe

# The impacts that fail a page; "moderate" and "minor" are reported, not failed.
BLOCKING = ("serious", "critical")
# WCAG 2.x A and AA, plus axe's best practices (landmarks, one main heading).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@cache
def _axe_source() -> str:
    return require_axe().read_text(encoding="utf-8")


def axe_violations(
    page: Any, *, impacts: tuple[str, ...] = BLOCKING, include: str | None = None
) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; the violations of the given impacts.

    Each violation is axe's own record: id, impact, help, helpUrl and nodes (each
    with its CSS target and a failure summary).
    """
    source = _axe_source()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    results: dict[str, Any] = page.evaluate(
        """async ([include, tags]) => {
            return await window.axe.run(include ? document.querySelector(include) : document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
        }""",
        [include, TAGS],
    )
    return [v for v in results["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable list for an assertion message: rule, impact, help, and where."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Any, *, name: str = "") -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    violations = axe_violations(page)
    where = name or page.url
    assert not violations, f"axe-core on {where}:\n{describe(violations)}"
