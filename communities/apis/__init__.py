"""REST API of the communities app (mounted under /api/v1/).

Each view parses with an InputSerializer, checks access through a selector,
calls one service and shapes the answer with an OutputSerializer. Permission
rules live in the services and selectors (roles.py), never here.

One module per domain: communities, members, invitations, segments, tokens;
common holds the error documentation and the `ServiceApi` base class.
`communities/api_urls.py` names the class per URL.
"""
