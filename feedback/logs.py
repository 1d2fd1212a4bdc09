"""The server's log lines on stderr: one JSON object per line for log collectors, or text for a
person at a terminal (`FEEDBACK_LOG_FORMAT`).

Every line has `time`, `level` and `event`; a request's line (the logger `feedback.access`) also
`request_id`, `method`, `route`, `status` and `duration_ms`. No line holds a client address, a
reader token or a comment's body: the app never passes one to a log call, and uvicorn's access
log, which writes client addresses, stays off.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from feedback import json
from feedback.settings import LogFormat

ACCESS_LOGGER = "feedback.access"
# The fields a log call may add with `extra=`, in the order they are written.
FIELDS = ("request_id", "method", "route", "status", "duration_ms")


@functools.lru_cache(maxsize=4)  # a second's lines share the formatting of its time
def _second(created: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))


def _time(record: logging.LogRecord) -> str:
    return f"{_second(int(record.created))}.{int(record.msecs):03d}Z"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line).decode()


class TextLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = "".join(f" {name}={record.__dict__[name]}" for name in FIELDS if name in record.__dict__)
        text = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}{fields}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def spare_record_details() -> None:
    """Have every log record skip what no line writes: its caller's file and line (a walk up the
    stack), its thread, process and process name: a third of an access line's cost
    (docs/performance.md). The switches are the logging module's own (its "Optimization" docs)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def log_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` configuration (as uvicorn takes it): every logger's lines,
    uvicorn's included, on stderr in `log_format`, from `level` up."""
    formatter = JsonLines if log_format == "json" else TextLines
    return {
        "version": 1,
        # The app's loggers exist already (made at import): configured, they would go quiet.
        "disable_existing_loggers": False,
        "formatters": {"lines": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "lines", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # uvicorn's own loggers pass their lines to the root's handler, in the same format.
        "loggers": {
            name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
