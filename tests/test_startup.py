"""Start-up: a command imports only what it uses (not timed: which modules a fresh process
loads), the schema head is known without alembic, and ``--json`` is fast and readable."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.jsonout import json_text

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("PySide6", "sqlalchemy", "alembic", "pypinyin", "reportlab", "openpyxl", "cryptography",
         "python_calamine", "tomlkit")

# Runs main.py as `python main.py ARGS` does (after PROLOGUE), then prints the exit code and REPORT.
_PROBE_TEMPLATE = """
import json, os, runpy, sys
args, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
os._exit = sys.exit      # main.py's quick end (cli.ending) as a normal one: this probe reports after it
PROLOGUE
sys.argv = ["main.py", *args]
code = 0
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, REPORT}), file=sys.stderr)
"""
# The heavy modules loaded.
_PROBE = _PROBE_TEMPLATE.replace("PROLOGUE", "").replace("REPORT", '"loaded": [m for m in names if m in sys.modules]')


def _probed(probe: str, args: list[str], home: Path, names: tuple[str, ...] | list[str]) -> tuple[dict, str]:
    """What ``probe`` reports (its last line on standard error) and the standard output of
    ``python main.py ARGS`` run by it in a new process."""
    env = {**os.environ, "ZIZHU_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", probe, json.dumps(args), json.dumps(names)], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return json.loads(proc.stderr.strip().splitlines()[-1]), proc.stdout


def _fresh(args: list[str], home: Path, heavy: tuple[str, ...] = HEAVY) -> tuple[int, set[str], str]:
    """Exit code, heavy modules loaded and standard output of ``python main.py ARGS`` in a new process."""
    probe, out = _probed(_PROBE, args, home, heavy)
    return probe["code"], set(probe["loaded"]), out


@pytest.fixture
def school_db(db):
    """The path of a database at the newest schema with its school (closed: the commands open it)."""
    from db.settings import save_school
    save_school(db, "第一中学", "4115", 2023, "")
    db.close()
    return db.path


def test_help_loads_no_heavy_module(tmp_path):
    code, loaded, out = _fresh(["--help"], tmp_path)
    assert code == 0 and "compute" in out and "verify" in out
    assert loaded == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the cores' figures are Linux's (/proc/stat)")
def test_a_command_samples_the_cores_as_it_starts(tmp_path):
    """main.py takes the start sample whether the second core is free is looked behind from
    (core.in_child.remember_start): the 1-minute load still counts the previous command."""
    probe = _PROBE_TEMPLATE.replace("PROLOGUE", "").replace(
        "REPORT", '"sampled": sys.modules["core.in_child"]._started is not None')
    report, out = _probed(probe, ["--help"], tmp_path, [])
    assert report["code"] == 0 and report["sampled"] and "verify" in out


def _not_a_package(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    bad = folder / "x.zip"
    bad.write_bytes(b"PK\x05\x06" + bytes(18))           # an empty zip: not a package
    return bad


def test_verify_reads_the_database_without_sqlalchemy(school_db, tmp_path):
    code, loaded, out = _fresh(["--db", str(school_db), "verify", str(_not_a_package(tmp_path / "in"))], tmp_path)
    assert code == 1 and "校验失败" in out
    assert loaded == {"cryptography"}                     # signatures: what verify needs, nothing else


def test_verify_loads_no_package_metadata_nor_key_serialisation(school_db, tmp_path):
    """The program's version (importlib.metadata, ~30 ms) and cryptography's key formats (with its
    ssh module, ~20 ms) are loaded by what writes or opens a private key, not by verify."""
    extra = ("importlib.metadata", "cryptography.hazmat.primitives.serialization", "core.package")
    code, loaded, _ = _fresh(["--db", str(school_db), "verify", str(_not_a_package(tmp_path / "in"))], tmp_path,
                             extra)
    assert code == 1 and loaded == {"core.package"}


def test_consolidate_add_loads_no_spreadsheet_writer(school_db, tmp_path):
    """Intake reads packages; the 汇总包 writer's openpyxl stays unloaded."""
    folder = _not_a_package(tmp_path / "in").parent
    code, loaded, out = _fresh(["--db", str(school_db), "consolidate", "add", str(folder)], tmp_path)
    assert code == 1 and "拒收" in out
    assert loaded & {"PySide6", "alembic", "pypinyin", "reportlab", "openpyxl", "python_calamine"} == set()


def test_consolidate_add_loads_no_check_rules_nor_id_rules(school_db, tmp_path):
    """Intake runs no check (the finding state ``db.models`` needs lives apart from the rules)
    and computes a replacement's change list only for a replacement."""
    folder = _not_a_package(tmp_path / "in").parent
    code, loaded, _ = _fresh(["--db", str(school_db), "consolidate", "add", str(folder)], tmp_path,
                             ("core.checks", "core.package_changes", "stdnum", "db.models"))
    assert code == 1 and loaded == {"db.models"}


@pytest.mark.parametrize("args", [["compute", "--json"], ["compute"], ["settings", "show"]])
def test_commands_on_a_current_database_load_no_alembic_pinyin_or_writers(school_db, tmp_path, args):
    code, loaded, out = _fresh(["--db", str(school_db), *args], tmp_path)
    assert code == 0 and out.strip()
    # compute reads through plain sqlite3 (db.plain_reads); settings show through a session
    assert ("sqlalchemy" in loaded) == (args[0] != "compute")
    assert loaded & {"PySide6", "alembic", "pypinyin", "reportlab", "openpyxl", "python_calamine", "tomlkit"} == set()


def test_check_loads_no_package_reader_alembic_or_writers(school_db, tmp_path):
    """`check` needs SQLAlchemy and the rules, not the package reader's cryptography (the listing's
    origin texts live beside it in db.feedback), alembic, a spreadsheet or PDF library, tomlkit."""
    code, loaded, out = _fresh(["--db", str(school_db), "check"], tmp_path)
    assert code in (0, 1) and "审计日志" in out
    assert "sqlalchemy" in loaded
    assert loaded & {"PySide6", "alembic", "cryptography", "reportlab", "openpyxl", "python_calamine",
                     "tomlkit"} == set()


def test_check_declares_only_the_models_it_uses(school_db, tmp_path):
    """The receiving side's, the spot checks' and the check marks' models are declared by the modules
    that use them (``db.models.full_metadata`` has them all): `check` declares none of those ten."""
    code, loaded, out = _fresh(["--db", str(school_db), "check"], tmp_path,
                               ("db.models", "db.receiving_models", "db.spotcheck_models", "db.check_state_models"))
    assert code in (0, 1) and "审计日志" in out
    assert loaded == {"db.models"}


def test_compute_reads_what_the_session_path_reads(demo_db):
    """``compute`` (plain sqlite3) computes the students the session path computes, with the same
    policy: the active version, a student taken off the list left out."""
    from db.compute import compute_school, compute_store
    from db.usecases import remove
    with demo_db.session() as s:
        first = s.connection().exec_driver_sql("SELECT id FROM student ORDER BY id LIMIT 1").scalar_one()
    remove(demo_db, first, "测试")
    results, totals = compute_school(demo_db)
    with demo_db.session() as s:
        expected, expected_totals = compute_store(s)
    assert [(r.student.key, r.total_fen) for r in results] == [(r.student.key, r.total_fen) for r in expected]
    assert first not in {r.student.key for r in results} and len(results) == 119
    assert totals == expected_totals


def test_an_old_database_is_still_migrated(tmp_path):
    """The head check without alembic must not skip a needed migration (frozen 0001 file)."""
    import shutil

    from db.migrate import current_revision, head_revision
    from db.session import open_database
    p = tmp_path / "old.sqlite"
    shutil.copy(ROOT / "tests" / "data" / "schema-0001.sqlite", p)
    d = open_database(p)
    try:
        assert current_revision(d) == head_revision() != "0001"
    finally:
        d.close()


def test_head_and_known_revisions_agree_with_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from db.migrate import MIGRATIONS, head_revision, known_revisions, revision_graph
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert head_revision() == script.get_current_head()
    walked = {s.revision: s.down_revision for s in script.walk_revisions()}
    assert revision_graph() == walked
    assert known_revisions() == frozenset(walked)


def test_json_text_is_the_same_document_one_record_a_line():
    doc = {"students": [{"id_number": "1", "name": "张三", "items": [{"code": "A", "amount": "1.00"}]},
                        {"id_number": "2", "name": "李四", "items": []}],
           "pending": [], "totals": {"total": "1.00", "by_source": {"city": "0.50"}}}
    text = json_text(doc)
    assert json.loads(text) == doc
    lines = text.splitlines()
    assert '{"id_number":"1","name":"张三","items":[{"code":"A","amount":"1.00"}]},' in lines
    assert '{"id_number":"2","name":"李四","items":[]}' in lines       # not ASCII-escaped, one a line
    assert '"pending": [],' in lines
    assert json.loads(json_text([1, {"a": None}])) == [1, {"a": None}]
    assert json_text({}) == "{}"


def test_json_text_takes_what_msgspec_does_not():
    """An integer beyond 64 bits (a long number typed in a cell) goes through the standard library's
    encoder, with the same compact text."""
    big = 10 ** 30
    doc = {"rows": [{"cell": big, "名": "张三"}, {"cell": 1}], "n": big}
    text = json_text(doc)
    assert json.loads(text) == doc
    assert '{"cell":1000000000000000000000000000000,"名":"张三"},' in text.splitlines()
    assert json.loads(json_text([big])) == [big]


# Runs main.py as _PROBE does, with spies on the read-ahead modules: when each ``start`` ran (was
# SQLAlchemy already imported?) and whether each ``take`` handed something over.
_SPY = _PROBE_TEMPLATE.replace("PROLOGUE", """
import importlib
import core.in_child
core.in_child.spare_core = lambda since=None: True      # whatever the load of the machine running the tests
seen = []
for name in names:
    mod = importlib.import_module(name)
    def spy(kind, real, name=name):
        def call(*a, **k):
            out = real(*a, **k)
            seen.append([name, kind, "sqlalchemy" in sys.modules, out is not None])
            return out
        return call
    for kind in ("start", "take"):
        setattr(mod, kind, spy(kind, getattr(mod, kind)))
""").replace("REPORT", '"seen": seen')


def _spied(args: list[str], home: Path, names: list[str]) -> tuple[int, list[list], str]:
    probe, out = _probed(_SPY, args, home, names)
    return probe["code"], probe["seen"], out


def test_check_reads_ahead_before_sqlalchemy_and_takes_what_it_read(school_db, tmp_path):
    """`check` starts reading the roster rows (a thread) and verifying the audit chain (a child process)
    before it imports SQLAlchemy, and its run takes both: the main thread neither scans the roster nor
    hashes the chain (docs/BENCHMARKS.md, "Start-up")."""
    code, seen, out = _spied(["--db", str(school_db), "check"], tmp_path, ["db.roster_prefetch", "db.chain_ahead"])
    assert code in (0, 1) and "审计日志完整" in out
    assert sorted(seen) == [["db.chain_ahead", "start", False, False], ["db.chain_ahead", "take", True, True],
                            ["db.roster_prefetch", "start", False, False], ["db.roster_prefetch", "take", True, True]]
    # the child first, while the process has no other thread (it is forked then, on POSIX)
    assert [s[:2] for s in seen[:2]] == [["db.chain_ahead", "start"], ["db.roster_prefetch", "start"]]


def test_consolidate_add_examines_ahead_before_sqlalchemy_and_takes_it(tmp_path):
    """`consolidate add` examines the offered packages in a child process started before SQLAlchemy's
    import; intake takes that examination (same files, keys, year) and prints the same outcome."""
    from receiving_fixtures import trusting_receiver, two_kid_school
    pkg = two_kid_school(tmp_path / "in", "4228220321", "东坪小学", first=1)
    for receiver in trusting_receiver(tmp_path / "r.sqlite", [pkg]):
        path = receiver.path
    code, seen, out = _spied(["--db", str(path), "consolidate", "add", str(pkg.path)], tmp_path,
                             ["db.intake_ahead"])
    assert code == 0 and "接收 1 个" in out and "东坪小学" in out
    assert seen == [["db.intake_ahead", "start", False, False], ["db.intake_ahead", "take", True, True]]
