"""student seal, audit log hash chain and no-replace trigger

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Existing audit entries are chained in id order. Students verified before this
version are sealed with their current data: nothing could detect a change made
before seals existed, so the verified state is trusted as it stands (the clerk
keeps their work; a change from now on shows up as TAMPERED_AFTER_VERIFY). Each
sealing is written to the audit log. A student whose amounts cannot be computed
(a policy that no longer loads) is sent back to 待核准 instead, also audited.
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ACTOR = "迁移0003"


def _seal_verified(conn) -> list[tuple[int, str, str | None, str | None]]:
    """Seal the verified students; returns audit entries (student id, field, old, new)."""
    from core.engine import Calculator
    from core.policy import default_policy_text, load_policy
    from core.records import grants_of, student_record
    from core.seal import SEAL_FIELDS, seal_of

    text = conn.execute(sa.text("SELECT value FROM setting WHERE key = 'policy'")).scalar()
    try:
        calc = Calculator(load_policy(text or default_policy_text()))
    except Exception:   # a policy that no longer loads: nothing can be sealed
        calc = None
    cols = ", ".join(SEAL_FIELDS)
    entries: list[tuple[int, str, str | None, str | None]] = []
    for row in conn.execute(sa.text(f"SELECT id, {cols} FROM student WHERE verified = 1 ORDER BY id")).all():
        values = dict(row._mapping)
        if calc is None:
            conn.execute(sa.text("UPDATE student SET verified = 0 WHERE id = :i"), {"i": values["id"]})
            entries.append((values["id"], "verified", "是", "否"))
            continue
        record = student_record(values, key=values["id"], prior_grants=grants_of(values["prior_grants"]))
        seal = seal_of(values, calc(record).decisions, version=1)   # (the seal of that time)
        conn.execute(sa.text("UPDATE student SET seal = :s WHERE id = :i"), {"s": seal, "i": values["id"]})
        entries.append((values["id"], "seal", None, "升级时按现有数据加封"))
    return entries


def _chain(conn, new_entries) -> None:
    """Append ``new_entries`` and chain every entry in id order."""
    from db.audit import GENESIS, entry_hash, stored_time

    if new_entries:
        at = stored_time(datetime.now())
        conn.execute(sa.text("INSERT INTO audit_log (at, actor, entity, entity_id, field, old, new, prev_hash, hash) "
                             "VALUES (:at, :actor, 'student', :eid, :field, :old, :new, '', '')"),
                     [{"at": at, "actor": ACTOR, "eid": eid, "field": f, "old": o, "new": n}
                      for eid, f, o, n in new_entries])
    prev = GENESIS
    updates = []
    for r in conn.execute(sa.text(
            "SELECT id, at, actor, entity, entity_id, field, old, new FROM audit_log ORDER BY id")).all():
        h = entry_hash(prev, r.id, str(r.at), r.actor, r.entity, r.entity_id, r.field, r.old, r.new)
        updates.append({"p": prev, "h": h, "i": r.id})
        prev = h
    if updates:
        conn.execute(sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"), updates)


def upgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal', sa.String(length=64), nullable=True))
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), server_default='', nullable=False))

    conn = op.get_bind()
    _chain(conn, _seal_verified(conn))

    from db.audit import TRIGGER_SQL
    for sql in TRIGGER_SQL.values():
        op.execute(sql)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('seal')
    from db.audit import TRIGGER_SQL
    op.execute(TRIGGER_SQL["audit_log_no_update"])
    op.execute(TRIGGER_SQL["audit_log_no_delete"])
