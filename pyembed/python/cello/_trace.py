"""Log lines for the inspector: while an inspector is attached, `_cello.current_trace()` is the
running request's `_cello.RequestTrace` (pyembed/src/py_request_trace.hpp; cello.db records its
queries there). `capture_logs()` adds the request's `logging` records to it,
so the studio shows them with the request that made them.

The hook is a log record factory, not a handler: the app's own logging configuration (its handlers,
levels and Python's last-resort output) is left exactly as it was, and a record is seen only if its
logger is enabled for its level.
"""
from __future__ import annotations

import logging
from typing import Any

from . import _cello

_installed = False


def capture_logs() -> None:
    """Installs the hook (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()
    current = _cello.current_trace

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        trace = current()
        if trace is not None and trace.records:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: logging reports it itself when the record is emitted
                message = str(record.msg)
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                message += f" [{type(error).__name__}: {error}]"
            trace.log(record.levelno, record.name, message)
        return record

    logging.setLogRecordFactory(factory)
