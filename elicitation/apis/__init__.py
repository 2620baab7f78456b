"""REST API of deliberation spaces (mounted under /api/v1/), one module per domain.

spaces (list, create, edit, phase, join), statements, votes (next
statement, cast), preferences (pairs, comparisons, ranking), debate
(arguments), moderation (statements, arguments, flags, decision log);
common holds the error documentation, the service-error mapping and the
`SpaceApi` base class. `elicitation/api_urls.py` names the class per URL.

Same permission rules as the pages: every view resolves the space through
`selectors.space_access`. Anonymous participation in "anyone with the
link" spaces: the first write returns an `X-Participant-Token` header (also
set as a cookie); send it back in that header to act as the same participant.
An embedding site may instead send `xid` (its own user id) in the body.

In a private community a link space is only for those who have its link:
non-members send the link token (the <token> of /j/<token>/) in the
`X-Space-Link` header, or a participant token of the space, which proves the
same. Without either they get 404, as if the space did not exist.
"""
