"""proxy.logs.LineWriter: the access log's line written as logging would write it.

Direct to the one plain stream handler when that is where the line goes
(the same bytes logging writes), through ``logger.info`` whenever anything
else is arranged: pytest's capture, filters, other handlers or formats,
levels.
"""
import io
import logging
import os
import subprocess
import sys

import gevent
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


# -- lines held for the event loop's turn -------------------------------------

class CountingStream(io.StringIO):
    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, text):
        self.writes += 1
        return super().write(text)


@pytest.fixture
def counted(logger):
    logger.handlers[0].stream = CountingStream()
    yield logger
    logs.held.release()


def test_lines_of_one_loop_turn_are_written_in_one_write(counted):
    writer = logs.LineWriter(counted)
    stream = counted.handlers[0].stream

    def request(n):
        writer.info(f"request={n}")
        assert stream.getvalue() == ""             # held while the turn lasts
    gevent.joinall([gevent.spawn(request, n) for n in range(5)])
    assert [line.split(" ", 3)[3] for line in stream.getvalue().splitlines()] == \
        [f"request={n}" for n in range(5)]
    assert stream.writes == 1


def test_another_record_through_the_handler_comes_after_the_held_lines(counted):
    writer = logs.LineWriter(counted)
    other = logging.Logger("switchyard.test.other")
    other.addHandler(counted.handlers[0])          # the one handler, as in the worker

    def request():
        writer.info("first")
        other.warning("second")
        writer.info("third")
    gevent.spawn(request).join()
    lines = counted.handlers[0].stream.getvalue().splitlines()
    assert [line.split(" ", 3)[3] for line in lines] == ["first", "second", "third"]
    assert lines[1].split(" ")[1:3] == ["WARNING", "switchyard.test.other"]


def hold(logger, message):
    """A line held as a request's green thread holds it, its turn not over."""
    logs.held.hold(logger.handlers[0], f"... INFO {logger.name} {message}\n", logger,
                   gevent.get_hub())


def test_a_line_written_at_once_releases_the_held_ones_first(counted):
    writer = logs.LineWriter(counted)
    stream = counted.handlers[0].stream
    hold(counted, "held")
    writer.info("at once")                         # the main greenlet: no loop turn to wait for
    assert [line.split(" ", 3)[3] for line in stream.getvalue().splitlines()] == \
        ["held", "at once"]


def test_outside_a_loop_greenlet_lines_are_written_at_once(counted):
    logs.LineWriter(counted).info("now")
    assert counted.handlers[0].stream.getvalue().endswith(" now\n")


def test_held_lines_are_written_at_worker_exit(counted):
    hold(counted, "last")
    assert counted.handlers[0].stream.getvalue() == ""
    from proxy.telemetry import request_observer
    request_observer.shutdown()
    assert counted.handlers[0].stream.getvalue().endswith(" last\n")


def test_held_lines_are_written_when_the_process_exits():
    # a process that ends before its event loop turns again loses nothing
    code = ("import gevent, logging, sys\n"
            "from proxy import logs\n"
            "log = logging.getLogger('switchyard.x'); log.setLevel(logging.INFO)\n"
            "handler = logging.StreamHandler(sys.stderr); handler.setFormatter(logs.Formatter())\n"
            "log.addHandler(handler); log.propagate = False\n"
            "logs.held.hold(handler, 'held at exit\\n', log, gevent.get_hub())\n"
            "assert logs.held._lines\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__)))))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "held at exit\n"


def test_another_threads_green_threads_write_at_once(counted):
    # (their hub is not the serving loop's: it may never turn again)
    import threading
    writer = logs.LineWriter(counted)

    def in_thread():
        gevent.spawn(writer.info, "from a thread").join()
        assert not logs.held._lines
    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert counted.handlers[0].stream.getvalue().endswith(" from a thread\n")


def test_the_stamp_is_formatted_once_a_millisecond_and_stays_exact():
    formatter = logs.Formatter()
    assert formatter.stamp(1_800_000_000, 250) == "2027-01-15T08:00:00.250Z"
    assert formatter.stamp(1_800_000_000, 250) == "2027-01-15T08:00:00.250Z"
    assert formatter.stamp(1_800_000_000, 251) == "2027-01-15T08:00:00.251Z"
    assert formatter.stamp(1_800_000_001, 251) == "2027-01-15T08:00:01.251Z"
    assert formatter.stamp(1_800_000_001, 251.9) == "2027-01-15T08:00:01.251Z"   # a record's msecs
