from __future__ import annotations

import json
from pathlib import Path

from kombu import Connection

from config.filesystem_broker import Transport


def test_messages_appear_whole_under_their_final_name(tmp_path: Path) -> None:
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        # kombu's default for exchanges is ./control in the working directory.
        "control_folder": str(tmp_path / "control"),
    }
    with Connection("filesystem://", transport=Transport, transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"run": 42})

        names = [p.name for p in folder.iterdir()]
        assert len(names) == 1
        assert names[0].endswith(".jobs.msg")
        assert json.loads((folder / names[0]).read_text())["body"]
        assert queue.get(timeout=1).payload == {"run": 42}
        queue.close()
