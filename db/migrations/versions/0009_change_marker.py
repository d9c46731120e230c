"""the change marker: a counter bumped by triggers, the stored check's marks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

``change_counter`` (one row) is bumped by triggers on every table the checks read when it
changes after a stored check, and ``check_state`` keeps what the stored findings were checked
with (db/check_state.py): an export reuses them while nothing changed. The row starts dirty,
so an upgraded database checks once before its first reuse. Nothing is audited.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'change_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('dirty', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'check_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('counter', sa.Integer(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('policy_sha256', sa.String(length=64), nullable=False),
        sa.Column('schema_version', sa.Integer(), nullable=False),
        sa.Column('program', sa.String(length=100), nullable=False),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.Column('chain_entries', sa.Integer(), nullable=True),
        sa.Column('chain_head', sa.String(length=64), nullable=True),
        sa.Column('chain_last_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO change_counter (id, value, dirty) VALUES (1, 0, 1)")
    from db.check_state import TRIGGER_SQL
    for sql in TRIGGER_SQL.values():
        op.execute(sql)


def downgrade() -> None:
    from db.check_state import TRIGGER_SQL
    for name in TRIGGER_SQL:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('check_state')
    op.drop_table('change_counter')
