import logging
from datetime import date

import pytest

from core.idnumber import make_id
from core.logsetup import MaskIdsFilter, mask_personal, setup_logging


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


def test_filter_masks_phone_and_bank_card_numbers():
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s card %s count %s",
                            ("13800001111", "6228480000000000001", 12345), None)
    MaskIdsFilter().filter(rec)
    assert rec.getMessage() == "phone 138****1111 card 6228***********0001 count 12345"


@pytest.mark.parametrize("written", [
    "110101 2008 0501 1234", "110101-20080501-1234", "1101 0120 0805 0112 34", "１１０１０１２００８０５０１１２３４"])
def test_ids_written_with_separators_or_full_width_are_masked(written):
    out = mask_personal(f"导入 {written} 失败")
    digits = "".join(ch for ch in out if ch.isdigit())
    assert "20080501" not in out.replace(" ", "").replace("-", "") and len(digits) == 10, out


def test_fifteen_digit_ids_are_masked():
    assert mask_personal("证件号码 110101080501123") == "证件号码 110101*****1123"


@pytest.mark.parametrize("text,name", [
    ("张三 110101200805011234", "张三"), ("欧阳小明（110101200805011234）", "欧阳小明"),
    ("110101200805011234 李四，已导入", "李四")])
def test_names_next_to_ids_are_masked(text, name):
    out = mask_personal(text)
    assert name not in out and name[0] + "*" in out and "110101********1234" in out


def test_labels_before_ids_are_kept_and_timestamps_untouched():
    assert mask_personal("身份证号110101200805011234") == "身份证号110101********1234"
    line = "2026-12-01 14:03:22,123 INFO db.session: opened"
    assert mask_personal(line) == line


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


def test_backup_file_names_keep_their_time_stamp():
    line = "backup written: zizhu-20261201-141500-123456-before-import.sqlite"
    assert mask_personal(line) == line
    assert mask_personal("ids 110101200805011234-110101200805011234") == "ids 110101********1234-110101********1234"


def test_a_run_of_more_than_nineteen_digits_is_masked_not_a_crash():
    """verify-student 42282220070923391922 (two digits too many) recursed for ever (privacy review)."""
    from core.logsetup import mask_personal
    assert mask_personal("verify-student 42282220070923391922") == "verify-student 4228************1922"
