"""The durable SQLite archive: the schema lives in `migrations`, each table's queries in the
module named after it."""

from feedback.archive.archive import Archive
from feedback.archive.backups import (
    ArchiveCopy,
    back_up,
    check_copy,
    mark_restore_unfinished,
    put_in_place,
    refuse_if_open,
    restore_unfinished_marker,
)
from feedback.archive.comments import StoredPage
from feedback.archive.flush import FlushPosition
from feedback.archive.probe import ArchiveUnwritable, WriteProbe
from feedback.archive.stale import StaleArticle
from feedback.archive.suspects import Decided, SuspectCluster, SuspectGroup, SuspectPage

__all__ = [
    "Archive",
    "ArchiveCopy",
    "ArchiveUnwritable",
    "Decided",
    "FlushPosition",
    "StaleArticle",
    "StoredPage",
    "SuspectCluster",
    "SuspectGroup",
    "SuspectPage",
    "WriteProbe",
    "back_up",
    "check_copy",
    "mark_restore_unfinished",
    "put_in_place",
    "refuse_if_open",
    "restore_unfinished_marker",
]
