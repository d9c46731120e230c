"""what a printed letter told: student.notified_told

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A letter (告知书) printed from now on records what it told the family (core.told.told_key: the
total and a digest of the items), so that a result changed afterwards is flagged for a second
letter (NOTIFIED_CHANGED). Letters printed before this revision recorded only when: their column
stays NULL and they are not compared (their content is not known); the next print records it.
A plain ADD COLUMN (SQLite keeps the table and its triggers). Nothing is audited.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('student', sa.Column('notified_told', sa.String(length=40), nullable=True))


def downgrade() -> None:
    # (SQLite's own DROP COLUMN, 3.35+: a batch would copy the table and lose its triggers)
    op.execute("ALTER TABLE student DROP COLUMN notified_told")
