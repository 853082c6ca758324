"""Static files storage: WhiteNoise's compressed manifest storage, its URLs remembered.

``{% static %}`` asks the storage for a file's hashed URL on every use (about six times
per page: the stylesheets, the script, the logo); each answer looks the name up in the
manifest, splits and quotes it and joins it to STATIC_URL (~4% of a logged-in page's
CPU, issue 11). The manifest is read once when the process starts and never changes
while it runs (a new collectstatic comes with a restart), so a name's URL is the same
for the process's whole life: it is worked out once.
"""

from __future__ import annotations

import threading

from whitenoise.storage import CompressedManifestStaticFilesStorage


class RememberedUrlsStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}
        self._urls_lock = threading.Lock()

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)  # a name not in the manifest raises, never kept
            with self._urls_lock:
                self._urls[name] = found
        return found
