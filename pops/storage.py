"""Private files: a storage that nothing serves.

Import files carry names and e-mail addresses; they must never sit beside the
public cover images under MEDIA_ROOT, where whatever serves /media/ would serve
them too. They go to `STORAGES["private"]` (PRIVATE_MEDIA_ROOT), which has no
URL: a view that checks permission hands them out (for import jobs,
`ImportJobAdmin.file_view`).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property


class PrivateFileSystemStorage(FileSystemStorage):
    """A file-system storage in PRIVATE_MEDIA_ROOT, without URLs: asking for
    one is a programming error."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError(f"{name} is a private file: serve it through a view that checks permission.")


def private_storage():
    """`STORAGES["private"]`, for `FileField(storage=private_storage)` (a callable,
    so that migrations do not depend on the settings)."""
    return storages["private"]
