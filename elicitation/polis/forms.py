"""The facilitator's Pol.is upload form."""

from __future__ import annotations

from typing import IO, Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aggregation.engine.polis_csv import (
    COMMENTS,
    PARTICIPANTS_VOTES,
    SUMMARY,
    VOTES,
    PolisFiles,
)

# Larger than any real export we know (vTaiwan's votes.csv is about 3 MB),
# small enough that a mistaken upload cannot tie up a worker.
MAX_FILE_BYTES = 50 * 1024 * 1024

# Which form field a PolisFormatError about a file belongs next to.
FIELD_FOR_FILE = {
    COMMENTS: "comments",
    VOTES: "votes",
    PARTICIPANTS_VOTES: "participants_votes",
    SUMMARY: "summary",
}


class PolisImportForm(forms.Form):
    title = forms.CharField(
        max_length=160,
        required=False,
        label=gettext_lazy("Title"),
        help_text=gettext_lazy("Leave empty to use the conversation's topic from summary.csv."),
    )
    comments = forms.FileField(
        label="comments.csv", help_text=gettext_lazy("Required: the comments.")
    )
    votes = forms.FileField(
        label="votes.csv",
        required=False,
        help_text=gettext_lazy("The full vote history with timestamps (preferred)."),
    )
    participants_votes = forms.FileField(
        label="participants-votes.csv",
        required=False,
        help_text=gettext_lazy("Latest votes only; used when votes.csv is not given."),
    )
    summary = forms.FileField(
        label="summary.csv",
        required=False,
        help_text=gettext_lazy("Optional: topic and description."),
    )
    second_copy = forms.BooleanField(
        required=False,
        label=gettext_lazy("Import a second copy anyway"),
        help_text=gettext_lazy(
            "This conversation is already a space here; tick to import it again "
            "(select the files again too)."
        ),
    )

    def __init__(self, *args: Any, offer_second_copy: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Asked only once an upload turned out to be a copy of an existing space.
        if not offer_second_copy and not (self.data or {}).get("second_copy"):
            del self.fields["second_copy"]

    def _clean_file(self, name: str) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get(name)
        if upload is not None and (upload.size or 0) > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("This file is %(size)s bytes; at most %(limit)s are accepted.")
                % {"size": upload.size, "limit": MAX_FILE_BYTES}
            )
        return upload

    def clean_comments(self) -> UploadedFile | None:
        return self._clean_file("comments")

    def clean_votes(self) -> UploadedFile | None:
        return self._clean_file("votes")

    def clean_participants_votes(self) -> UploadedFile | None:
        return self._clean_file("participants_votes")

    def clean_summary(self) -> UploadedFile | None:
        return self._clean_file("summary")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("votes") and not data.get("participants_votes") and not self.errors:
            self.add_error("votes", _("Upload votes.csv or participants-votes.csv (or both)."))
        return data

    def export_files(self) -> PolisFiles:
        """The uploads as the import service's keyword arguments, read as streams."""

        def stream(name: str) -> IO[bytes] | None:
            upload: UploadedFile | None = self.cleaned_data.get(name)
            if upload is None:
                return None
            upload.seek(0)
            return upload.file

        return {
            "comments": stream("comments") or b"",
            "votes": stream("votes"),
            "participants_votes": stream("participants_votes"),
            "summary": stream("summary"),
        }
