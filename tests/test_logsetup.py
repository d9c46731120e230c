import logging
from datetime import date

from core.idnumber import make_id
from core.logsetup import MaskIdsFilter, setup_logging


def test_ids_are_masked_in_the_log_file(tmp_path):
    number = make_id("110101", date(2008, 5, 1), 123)
    path = setup_logging(tmp_path)
    log = logging.getLogger("zizhu.test")
    log.info("imported %s and %s", number, "12345")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert number not in text
    assert number[:6] + "********" + number[-4:] in text and "12345" in text


def test_filter_leaves_other_numbers():
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s card %s", ("13800001111", "6228480000000000001"), None)
    MaskIdsFilter().filter(rec)
    assert rec.getMessage() == "phone 13800001111 card 6228480000000000001"


def test_ids_in_tracebacks_are_masked(tmp_path):
    number = make_id("110101", date(2009, 6, 1), 321)
    path = setup_logging(tmp_path / "tb")
    try:
        {}[number]
    except KeyError:
        logging.getLogger("zizhu.test").exception("lookup failed")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert "KeyError" in text and number not in text and number[:6] + "********" in text
