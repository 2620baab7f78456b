"""Kombu's filesystem transport with atomic message files.

Kombu writes a message file in place (open, then write), so a worker polling
the folder can move and read it while it is still empty and die on the JSON
decode ("Unrecoverable error: JSONDecodeError"). Here a message is written
under a name the consumer ignores and renamed into place, which is atomic on
one filesystem. Used only by the embedded default (no Redis configured).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # Same signature as kombu's filesystem Channel._put (its stubs disagree with the base's).
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # The consumer only picks up names ending in "<queue>.msg".
        partial = f"{final}.partial"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
