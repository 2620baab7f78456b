"""The facilitator's Pol.is upload form, and the byte count that bounds an upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from elicitation.polis.jobs import FILE_NAMES


def too_large_message(limit: int) -> str:
    return gettext(
        "The upload is larger than %(size)s (all files together), the most this site "
        "accepts; nothing was stored. Leave out participants-votes.csv when you have "
        "votes.csv, or ask an operator to import the export with the import_polis command."
    ) % {"size": filesizeformat(limit)}


class UploadLimit(FileUploadHandler):
    """Counts the bytes of the request's files and stops reading past `limit`.

    The view refuses a larger Content-Length before reading anything; this
    catches a body that is longer than it said (the WSGI server only passes
    on Content-Length bytes, so that is the rest of the defence). Placed
    before the handler that spools the files to disk.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class PolisImportForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=160,
        required=False,
        help_text=_("Leave empty to use the conversation's topic from summary.csv."),
    )
    comments = forms.FileField(label="comments.csv", help_text=_("Required: the comments."))
    votes = forms.FileField(
        label="votes.csv",
        required=False,
        help_text=_("The full vote history with timestamps (preferred)."),
    )
    participants_votes = forms.FileField(
        label="participants-votes.csv",
        required=False,
        help_text=_("Latest votes only; used when votes.csv is not given."),
    )
    summary = forms.FileField(
        label="summary.csv", required=False, help_text=_("Optional: topic and description.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("votes") and not data.get("participants_votes") and not self.errors:
            self.add_error("votes", _("Upload votes.csv or participants-votes.csv (or both)."))
        return data

    def uploads(self) -> dict[str, UploadedFile]:
        """The files given, by field name (the job stores each under its export name)."""
        return {
            name: self.cleaned_data[name]
            for name in FILE_NAMES
            if self.cleaned_data.get(name) is not None
        }
