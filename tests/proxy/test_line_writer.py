"""proxy.logs.LineWriter: the access log's line written as logging would write it.

Direct to the one plain stream handler when that is where the line goes
(the same bytes logging writes), through ``logger.info`` whenever anything
else is arranged: pytest's capture, filters, other handlers or formats,
levels.
"""
import io
import logging

import pytest

from proxy import logs

NOW_NS = 1_800_000_000_250_000_000          # 2027-01-15T08:00:00.250Z


@pytest.fixture
def logger(monkeypatch):
    """A logger of its own (outside logging's tree, so pytest's capture
    handlers are not on its way) with one stream handler in the worker's
    format."""
    log = logging.Logger("switchyard.test")
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logs.Formatter())
    log.addHandler(handler)
    monkeypatch.setattr(logs.time, "time_ns", lambda: NOW_NS)
    return log


def written(log):
    return log.handlers[0].stream.getvalue()


def test_writes_the_bytes_logging_would_without_a_log_record(logger, monkeypatch):
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "status=200 x=%d", (),
                               None)
    record.created, record.msecs = NOW_NS / 1e9, 250.0
    expected = logger.handlers[0].format(record) + "\n"

    def no_records(*args, **kwargs):
        raise AssertionError("went through logging")
    monkeypatch.setattr(logger, "makeRecord", no_records)
    monkeypatch.setattr(logger, "info", no_records)
    logs.LineWriter(logger).info("status=200 x=%d")
    logs.LineWriter(logger).info("status=201")
    assert written(logger) == expected + expected.replace("status=200 x=%d", "status=201")
    assert expected.startswith(f"2027-01-15T08:00:00.250Z INFO {logger.name} status=200 ")


def test_lines_through_the_parent_logger_handler_go_direct(logger, monkeypatch):
    child = logging.Logger(logger.name + ".child")
    child.parent = logger
    monkeypatch.setattr(child, "makeRecord", None)    # any record would fail
    logs.LineWriter(child).info("a")
    assert written(logger).endswith(f" INFO {child.name} a\n")


def test_captured_by_pytest_when_propagating_to_its_handler(caplog):
    with caplog.at_level(logging.INFO, logger="switchyard.test.caplog"):
        logs.LineWriter(logging.getLogger("switchyard.test.caplog")).info("seen by caplog")
    assert [r.getMessage() for r in caplog.records] == ["seen by caplog"]


def test_a_logger_filter_is_applied(logger):
    logger.addFilter(lambda record: "secret" not in record.getMessage())
    writer = logs.LineWriter(logger)
    writer.info("secret=1")
    writer.info("plain=1")
    assert written(logger).endswith(" plain=1\n") and "secret" not in written(logger)


def test_a_handler_filter_is_applied(logger):
    logger.handlers[0].addFilter(lambda record: False)
    logs.LineWriter(logger).info("dropped")
    assert written(logger) == ""


def test_another_format_is_used_as_configured(logger):
    logger.handlers[0].setFormatter(logging.Formatter("%(levelname)s|%(message)s"))
    logs.LineWriter(logger).info("x=1")
    assert written(logger) == "INFO|x=1\n"


def test_a_second_handler_gets_the_line_too(logger):
    second = logging.StreamHandler(io.StringIO())
    second.setFormatter(logs.Formatter())
    logger.addHandler(second)
    logs.LineWriter(logger).info("both")
    assert written(logger) == second.stream.getvalue()
    assert written(logger).endswith(" both\n")


@pytest.mark.parametrize("where", ["logger", "handler", "disabled"])
def test_levels_and_disabled_loggers_are_obeyed(logger, where):
    if where == "logger":
        logger.setLevel(logging.WARNING)
    elif where == "handler":
        logger.handlers[0].setLevel(logging.WARNING)
    else:
        logger.disabled = True
    logs.LineWriter(logger).info("quiet")
    assert written(logger) == ""


def test_a_failing_stream_goes_to_the_handlers_error_handling(logger, monkeypatch):
    class Broken(io.StringIO):
        def write(self, text):
            raise OSError("disk full")
    logger.handlers[0].stream = Broken()
    failed = []
    monkeypatch.setattr(logger.handlers[0], "handleError", failed.append)
    logs.LineWriter(logger).info("lost")
    [record] = failed
    assert (record.getMessage(), record.levelno, record.name) == ("lost", logging.INFO,
                                                                  logger.name)
