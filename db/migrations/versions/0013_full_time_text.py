"""an unreadable 全日制正式学籍 cell kept as typed: student.full_time_text

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

The column 全日制正式学籍 is the condition of every subsidy item. A cell the import could not read
("待定", "??") was stored as 是 with only a note on the row: the student got every item on a guess and
nothing stopped verification or the final package. The cell's text is kept here (``full_time`` still
holds the guess), and the checks raise VALUE_UNREADABLE as an error until the clerk chooses 是 or 否.
Students stored before this revision get "" (nothing is known of how their cell was read: the next
import of the list fills it). A plain ADD COLUMN (SQLite keeps the table and its triggers). Nothing
is audited.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('student', sa.Column('full_time_text', sa.String(length=100), server_default='', nullable=False))


def downgrade() -> None:
    # (SQLite's own DROP COLUMN, 3.35+: a batch would copy the table and lose its triggers)
    op.execute("ALTER TABLE student DROP COLUMN full_time_text")
