"""student removal (移出名单): removed_at and removed_reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A student taken off the list is kept with the time and the clerk's reason, so
nothing entered is lost and 移回名单 restores it; removed students are left out
of the checks, counts, exports and letters. Existing students are all on the
list (both columns empty); no audit entry is written, the chain is untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('removed_reason', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('removed_reason')
        batch_op.drop_column('removed_at')
