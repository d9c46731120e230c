"""Kill tests: a clerk's PC loses power in the middle of an operation.

Import, edit, verify, policy change and export each run in their own process on a copy
of a small demo database and are killed with SIGKILL after a random delay (from ~0 to a
little longer than the operation's measured duration, weighted toward its end, where
the writes happen). After every trial:

* ``PRAGMA integrity_check`` is ``ok`` (and ``foreign_key_check`` is empty) when the
  copy is opened again (SQLite's WAL recovery happens on that open);
* the operation is wholly there or wholly absent: the database's state, projected on
  what the operations touch (students without timestamps, the audit rows of students,
  the policy and exports, the stored policy text), equals either the state before or
  the state after an un-killed run of the same operation. A trial that finished before
  the kill must exit 0 and equal the after state.
* Export, what "wholly" means: the product of an export is the signed zip, its record
  the audit row "导出 out.zip". A zip and a database row cannot be committed in one
  step, so the zip is written first (atomically: absent or complete) and the row after.
  Allowed: no zip and no row; a zip that verifies (``verify`` exit 0) and no row (the
  kill fell between the two, a window of milliseconds); a zip that verifies and the
  row. Never a row without its zip, never a zip that does not verify.
* the next start's ``check`` reports neither AUDIT_CHAIN_BROKEN nor TAMPERED_AFTER_VERIFY
  (half of a transaction would look like tampering);
* no temporary file with personal data remains: the next start of the program
  (``check --json``, same ZIZHU_HOME and TMPDIR) may sweep what the killed process left;
  after it the trial's folders hold only the expected files (the database, its -wal/-shm,
  a lock file, complete backups, the log folder, the completed zip) and no file other
  than the database, its backups and the zip contains a full ID number of any student.

SIGKILL tests the program's own all-or-nothing (transactions, atomic renames, temporary
files), not the disk: a power cut may also lose what the OS had not written yet, which
SQLite's WAL (synchronous=NORMAL) turns into losing the last transactions, never a mix.

Default tier: 2 killed trials per operation; slow tier: 50 per operation (about 9 minutes
on 2 cores). The seed of the random delays is printed in every failure; set ZIZHU_KILL_SEED to it to
draw the same delays again (timing still varies, so a failure may need a few runs).
ZIZHU_KILL_TRIALS overrides the number of trials per operation; ZIZHU_KILL_KEEP=FOLDER keeps
a copy of every failed trial's folder there (pytest prunes its own temporary folders).
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX only")

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
DRIVER = Path(__file__).resolve().parent / "kill_driver.py"
DB_NAME = "zizhu.sqlite"
PASSPHRASE = "kill-test 口令 2026"
DEFAULT_TRIALS = 2          # per operation, default tier (plus one un-killed reference run)
SLOW_TRIALS = 50            # per operation, slow tier
AUDITED_ENTITIES = ("student", "policy", "policy_version", "export")
# A kill between two writes of one transaction would look like tampering: it must not happen.
KILL_MUST_NOT_RAISE = {"AUDIT_CHAIN_BROKEN", "TAMPERED_AFTER_VERIFY"}
ID_RE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


@dataclass
class Base:
    """The shared starting point of every trial."""
    folder: Path
    db: Path                       # checkpointed: the main file alone is the whole database
    import_file: Path
    passphrase_file: Path
    edit_id: str                   # a verified student that "edit" changes
    ids: set[bytes]                # every full ID number in play (students, roster, import file)
    references: dict[str, Reference] = field(default_factory=dict)


@dataclass
class Reference:
    before: tuple
    after: tuple
    duration: float


@dataclass
class Trial:
    folder: Path
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return self.folder / "db" / DB_NAME

    @property
    def out(self) -> Path:
        return self.folder / "out" / "out.zip"


def _operation(op: str, base: Base, t: Trial) -> list[str]:
    py = sys.executable
    if op == "import":
        return [py, str(MAIN), "--db", str(t.db), "import", "students", str(base.import_file)]
    if op == "edit":
        return [py, str(DRIVER), "edit", str(t.db), base.edit_id]
    if op == "verify":
        return [py, str(DRIVER), "verify", str(t.db)]
    if op == "policy":
        return [py, str(MAIN), "--db", str(t.db), "policy", "set", "tuition_standard.普通高中", "1500"]
    if op == "export":
        return [py, str(MAIN), "--db", str(t.db), "export", str(t.out), "--draft",
                "--passphrase-file", str(base.passphrase_file)]
    raise AssertionError(op)


OPERATIONS = ("import", "edit", "verify", "policy", "export")


# -- building the base database ------------------------------------------------------------

def _cli(db: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(MAIN), "--db", str(db), *args], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _checkpoint(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _write_import_file(path: Path, db: Path) -> set[str]:
    """300 rows: 120 existing students with a new class and fee (updates), 180 new ones."""
    import openpyxl

    from core.demo import generate_demo
    from core.idnumber import is_valid_id

    con = sqlite3.connect(db)
    try:
        stored = con.execute("SELECT name, id_number, stage FROM student ORDER BY id").fetchall()
    finally:
        con.close()
    known = {r[1] for r in stored}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "学段", "班级", "实收学费"])
    written: set[str] = set()
    for i, (name, number, stage) in enumerate(r for r in stored if r[1] and is_valid_id(r[1])):
        if i == 120:
            break
        ws.append([name, number, stage, f"K{i % 7 + 1}班", 800 + i])
        written.add(number)
    added = 0
    for st in generate_demo(n_students=400, seed=4242).students:
        number = st["id_number"]
        if added == 180 or not number or number in known or number in written or not is_valid_id(number):
            continue
        ws.append([st["name"], number, st["stage"], st["class_name"], None])
        written.add(number)
        added += 1
    assert added == 180
    wb.save(path)
    return written


@pytest.fixture(scope="module")
def kill_base(tmp_path_factory) -> Base:
    folder = tmp_path_factory.mktemp("kill-base")
    home = folder / "home"
    home.mkdir()
    env = {**os.environ, "ZIZHU_HOME": str(home)}
    db = folder / "base" / DB_NAME
    db.parent.mkdir()
    _cli(db, "demo", "--students", "200", env=env)
    # A standard the policy change then raises: the verified high-school students' amounts change.
    _cli(db, "policy", "set", "tuition_standard.普通高中", "1200", env=env)
    # Half the students verified already (edit then un-verifies one, verify does the rest).
    proc = subprocess.run([sys.executable, str(DRIVER), "verify", str(db), "half"], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    passphrase_file = folder / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    first = folder / "first.zip"   # creates the signing key: the trials only load it
    _cli(db, "export", str(first), "--draft", "--passphrase-file", str(passphrase_file), env=env)
    first.unlink()
    _checkpoint(db)
    con = sqlite3.connect(db)
    try:
        edit_id = con.execute("SELECT id_number FROM student WHERE verified = 1 ORDER BY id LIMIT 1").fetchone()[0]
        ids = {r[0] for r in con.execute("SELECT id_number FROM student UNION SELECT id_number FROM roster_person")}
    finally:
        con.close()
    _checkpoint(db)
    import_file = folder / "students.xlsx"
    ids |= _write_import_file(import_file, db)
    return Base(folder, db, import_file, passphrase_file, edit_id,
                {i.encode("ascii") for i in ids if i and len(i) == 18})


# -- one trial ------------------------------------------------------------------------------

def _new_trial(base: Base, name: str) -> Trial:
    folder = base.folder / "trials" / name
    if folder.exists():
        shutil.rmtree(folder)
    for sub in ("db", "home", "tmp", "out"):
        (folder / sub).mkdir(parents=True)
    shutil.copy2(base.db, folder / "db" / DB_NAME)
    tmp = str(folder / "tmp")
    env = {**os.environ, "ZIZHU_HOME": str(folder / "home"), "TMPDIR": tmp, "TMP": tmp, "TEMP": tmp}
    return Trial(folder, env)


def _integrity(db: Path, read_only: bool = False) -> list[str]:
    """Problems found when the database is opened again after the kill (``read_only``:
    without recovering or changing anything, for files the program owns)."""
    con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) if read_only else sqlite3.connect(db)
    try:
        result = [r[0] for r in con.execute("PRAGMA integrity_check")]
        fks = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    problems = [] if result == ["ok"] else [f"integrity_check: {result[:5]}"]
    if fks:
        problems.append(f"foreign_key_check: {fks[:5]}")
    return problems


def _snapshot(db: Path) -> tuple:
    """What the operations change, without timestamps, as comparable sorted tuples."""
    con = sqlite3.connect(db)
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(student)")
                if r[1] != "id" and not r[1].endswith("_at")]
        students = sorted(con.execute("SELECT " + ", ".join(f'"{c}"' for c in cols) + " FROM student").fetchall(), key=repr)
        marks = ", ".join("?" * len(AUDITED_ENTITIES))
        audit = sorted(con.execute(f"SELECT entity, entity_id, field, old, new FROM audit_log "
                                   f"WHERE entity IN ({marks})", AUDITED_ENTITIES).fetchall(), key=repr)
        policy = con.execute("SELECT school_year, number, text FROM policy_version ORDER BY id").fetchall()
    finally:
        con.close()
    return tuple(students), tuple(audit), tuple(policy)


def _describe_difference(snap: tuple, ref: Reference) -> str:
    parts = []
    for label, now, before, after in zip(("students", "audit", "policy"), snap, ref.before, ref.after, strict=True):
        if now not in (before, after):
            now_s = set(now)
            parts.append(f"{label}: {len(now)} rows (before {len(before)}, after {len(after)}), "
                         f"{len(now_s ^ set(before))} differ from before, {len(now_s ^ set(after))} from after")
    return "; ".join(parts) or "each part matches one side, but not the same side (a mix of before and after)"


def _run(cmd: list[str], t: Trial, delay: float | None) -> tuple[bool, int | None, str, float]:
    """Run ``cmd``; SIGKILL it after ``delay`` seconds unless it has finished."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=t.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = False
    try:
        proc.wait(timeout=delay if delay is not None else 300)
    except subprocess.TimeoutExpired:
        if delay is None:
            raise
        os.kill(proc.pid, signal.SIGKILL)
        killed = True
    _out, err = proc.communicate()
    return killed, proc.returncode, err.decode("utf-8", "replace"), time.monotonic() - start


def _expected_file(t: Trial, path: Path, op: str) -> bool:
    rel = path.relative_to(t.folder)
    top, name = rel.parts[0], path.name
    if top == "db":
        if rel.parts[1] == "backups":
            return True       # checked separately: complete databases only
        return name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm") or "lock" in name.lower()
    if top == "home":
        return len(rel.parts) > 2 and rel.parts[1] == "logs"
    if top == "out":
        return op == "export" and path == t.out
    return False               # tmp/: nothing may remain


def _leftovers(t: Trial, op: str, ids: set[bytes]) -> list[str]:
    """Unexpected files after the next start, and full ID numbers outside the database."""
    problems = []
    for path in sorted(t.folder.rglob("*")):
        try:
            if path.is_dir() or path.parent == t.folder:
                continue
            rel = path.relative_to(t.folder)
            if not _expected_file(t, path, op):
                problems.append(f"leftover file {rel} ({path.stat().st_size} bytes)")
            if rel.parts[:2] == ("db", "backups"):
                if path.name.startswith("."):     # a hidden name is a copy in progress
                    problems.append(f"leftover file {rel} ({path.stat().st_size} bytes)")
                elif bad := _integrity_of_file(path):
                    problems.append(f"backup {rel} is not a complete database: {bad[0]}")
                continue
            if (path.name.startswith(DB_NAME) and "lock" not in path.name.lower()) or path == t.out:
                continue
            found = set(ID_RE.findall(path.read_bytes())) & ids
        except FileNotFoundError:     # removed meanwhile: not left over
            continue
        if found:
            problems.append(f"{rel} holds {len(found)} full ID number(s) of students")
    return problems


def _integrity_of_file(path: Path) -> list[str]:
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return ["not a SQLite file"]
        return _integrity(path, read_only=True)
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def _check_trial(op: str, base: Base, t: Trial, killed: bool, rc: int | None, err: str,
                 ref: Reference | None) -> tuple[list[str], tuple]:
    problems = _integrity(t.db)
    snap = _snapshot(t.db) if not problems else ()
    if not killed and rc != 0:
        problems.append(f"finished without the kill but exit {rc}: {err.strip()[-500:]}")
    if ref is not None and snap:
        if not killed and snap != ref.after:
            problems.append("finished but the state is not the after state: " + _describe_difference(snap, ref))
        elif snap not in (ref.before, ref.after):
            problems.append("partly applied: " + _describe_difference(snap, ref))
    # The next start of the program: recovers, may sweep the killed process's leftovers.
    nxt = _cli(t.db, "check", "--json", env=t.env, check=False)
    if nxt.returncode not in (0, 1) or "Traceback" in nxt.stderr:
        problems.append(f"next start (check) exit {nxt.returncode}: {nxt.stderr.strip()[-500:]}")
    else:
        flags = json.loads(nxt.stdout)["flags"]
        alarms = sorted({f["code"] for f in flags if f["state"] == "open" and f["code"] in KILL_MUST_NOT_RAISE})
        if alarms:
            problems.append(f"after the kill, check reports {alarms}")
    if op == "export":
        if t.out.exists():
            v = _cli(t.db, "verify", str(t.out), env=t.env, check=False)
            if v.returncode != 0:
                problems.append(f"out.zip exists but verify exits {v.returncode}: {v.stdout.strip()[-300:]}")
        elif ref is not None and snap and snap == ref.after:
            problems.append("the export is in the audit log but out.zip does not exist")
    elif t.out.exists():
        problems.append("out.zip written by an operation that is not an export")
    problems += _leftovers(t, op, base.ids)
    return problems, snap


def _reference(op: str, base: Base) -> Reference:
    """An un-killed run: the after state, the duration, and the same checks as a trial."""
    if op not in base.references:
        t = _new_trial(base, f"{op}-reference")
        before = _snapshot(t.db)
        killed, rc, err, duration = _run(_operation(op, base, t), t, None)
        problems, after = _check_trial(op, base, t, killed, rc, err, None)
        assert not problems, f"{op}, un-killed reference run in {t.folder}:\n" + "\n".join(problems)
        assert after != before, f"{op}: the reference run changed nothing"
        base.references[op] = Reference(before, after, duration)
        shutil.rmtree(t.folder)
    return base.references[op]


def _seed() -> int:
    env = os.environ.get("ZIZHU_KILL_SEED")
    return int(env) if env else random.SystemRandom().randrange(2 ** 32)


def run_trials(op: str, base: Base, n: int) -> tuple[list[str], str]:
    """Kill ``op`` at random moments ``n`` times; the trials that left a problem, and a summary
    that names the seed to replay them."""
    n = int(os.environ.get("ZIZHU_KILL_TRIALS") or n)
    ref = _reference(op, base)
    seed = _seed()
    rng = random.Random(f"{op}:{seed}")
    failures, killed_count = [], 0
    for i in range(n):
        # Half the delays over the whole run, half over its end (where the writes are).
        low = 0.0 if i % 2 == 0 else 0.5
        delay = ref.duration * rng.uniform(low, 1.25)
        t = _new_trial(base, f"{op}-{i}")
        killed, rc, err, _ = _run(_operation(op, base, t), t, delay)
        killed_count += killed
        problems, _snap = _check_trial(op, base, t, killed, rc, err, ref)
        if problems:
            kept = t.folder
            if os.environ.get("ZIZHU_KILL_KEEP"):     # pytest prunes old tmp folders: copy it away
                kept = Path(os.environ["ZIZHU_KILL_KEEP"]) / f"{seed}-{t.folder.name}"
                shutil.copytree(t.folder, kept, dirs_exist_ok=True)
            failures.append(f"trial {i} (delay {delay:.3f} s of {ref.duration:.3f} s, "
                            f"{'killed' if killed else 'finished'}; kept in {kept}):\n  "
                            + "\n  ".join(problems))
        else:
            shutil.rmtree(t.folder)
    return failures, (f"{op}: {len(failures)} of {n} trials failed "
                      f"(ZIZHU_KILL_SEED={seed}, {killed_count} killed):\n" + "\n".join(failures))


@pytest.mark.parametrize("op", OPERATIONS)
def test_killed_operation_is_all_or_nothing(op, kill_base):
    failures, summary = run_trials(op, kill_base, DEFAULT_TRIALS)
    assert not failures, summary


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("op", OPERATIONS)
def test_killed_operation_is_all_or_nothing_many(op, kill_base):
    failures, summary = run_trials(op, kill_base, SLOW_TRIALS)
    assert not failures, summary


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("content", [b"", b"   \n", b"\0" * 64], ids=["empty", "blank", "zeros"])
def test_sweep_after_a_kill_mid_registration_removes_nothing_else(tmp_path, content):
    """A kill (or a power cut) between creating a temp registration and writing the path
    into it leaves an empty or zero-filled registration. The next start's sweep must not
    read that as "." and delete the current folder, nor fail on it."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    (home / "tmp").mkdir(parents=True)
    cwd.mkdir()
    (cwd / "学生名单.xlsx").write_bytes(b"the clerk's own file")
    (cwd / "folder").mkdir()
    (cwd / "folder" / "keep.txt").write_text("keep", encoding="utf-8")
    (home / "tmp" / f"pending-{_dead_pid()}-0-0badf00d.path").write_bytes(content)
    proc = subprocess.run([sys.executable, "-c", "from core.paths import sweep_stale_temp; sweep_stale_temp()"],
                          cwd=cwd, env={**os.environ, "ZIZHU_HOME": str(home), "PYTHONPATH": str(ROOT)}, check=False,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*")) == \
        ["folder", "folder/keep.txt", "学生名单.xlsx"]
