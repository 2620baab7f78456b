"""Pages of deliberation spaces: parse, check access, call a service, render.

One module per domain: spaces, votes, statements, debate, preferences
(pairwise, ranking), standing, moderation; common holds the shared helpers,
context the page context several pages build. `elicitation/urls.py` names
the view per URL.

Every form works as a plain POST (redirect after success, the page again
with the error and a 4xx otherwise); htmx requests get the partial they
swap in, errors included, with the same 4xx status (the templates tell htmx
to swap 4xx responses).
"""
