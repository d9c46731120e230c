"""policy versions (政策版本): the policy document moves from the setting into policy_version

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The stored policy document (setting ``policy``) becomes version 1 of the school's
school year (year 0 when there is no school yet), recorded as ``default`` when it
says what the bundled default says (items, parameters, name; comments aside) and
``edited`` otherwise. The setting is then deleted: from now on every reader takes
the newest version of the school's year (db.policy_versions.active_text), so there
is never a second copy to drift. Nothing is recomputed and nothing is audited: the
policy text and its hash are unchanged, so the seals and the audit chain still hold.
"""
from datetime import datetime
import hashlib

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ACTOR = "迁移0007"


def _origin(text: str) -> str:
    from core.errors import ZizhuError
    from core.policy import default_policy, load_policy
    from core.policy_diff import policy_diff_items
    try:
        return "default" if policy_diff_items(default_policy(), load_policy(text)).is_empty else "edited"
    except ZizhuError:      # a document that no longer loads is kept as it is
        return "edited"


def upgrade() -> None:
    op.create_table(
        'policy_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('origin', sa.String(length=20), nullable=False),
        sa.Column('signer_fingerprint', sa.String(length=100), nullable=False),
        sa.Column('signer_school', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('school_year', 'number', name='uq_policy_version_number'),
    )
    conn = op.get_bind()
    text = conn.execute(sa.text("SELECT value FROM setting WHERE key = 'policy'")).scalar()
    if text is None:
        return
    year = conn.execute(sa.text("SELECT school_year FROM school ORDER BY id LIMIT 1")).scalar() or 0
    conn.execute(sa.text(
        "INSERT INTO policy_version (school_year, number, text, sha256, created_at, created_by, note, origin, "
        "signer_fingerprint, signer_school) VALUES (:y, 1, :t, :h, :at, :by, :note, :o, '', '')"),
        {"y": year, "t": text, "h": hashlib.sha256(text.encode("utf-8")).hexdigest(), "at": datetime.now(),
         "by": ACTOR, "note": "升级前使用的资助政策", "o": _origin(text)})
    conn.execute(sa.text("DELETE FROM setting WHERE key = 'policy'"))


def downgrade() -> None:
    conn = op.get_bind()
    text = conn.execute(sa.text("SELECT text FROM policy_version ORDER BY school_year DESC, number DESC LIMIT 1")
                        ).scalar()
    if text is not None:
        conn.execute(sa.text("INSERT OR REPLACE INTO setting (key, value) VALUES ('policy', :t)"), {"t": text})
    op.drop_table('policy_version')
