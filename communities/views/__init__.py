"""Community pages: parse, check access (selectors), call a service, render.

Failed actions answer with a 4xx page saying what went wrong (400 for bad
input or a forbidden state, 403 for a role that does not allow it, 410 for an
unusable invitation), never a silent redirect.

One module per domain: communities, members, invitations, segments; common
holds the shared helpers. `communities/urls.py` names the view per URL.
"""
