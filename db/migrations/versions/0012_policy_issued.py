"""an imported policy file's own version: policy_version.issued_year, issued_number

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

A signed policy file states the bureau's version it carries (its manifest's ``policy_version``:
school year and number). Versions imported from now on record it, so that an older file of the same
signer is refused (db.policy_files.check_policy_file): re-importing 第3版 after 第4版 had put the
old standards back without a word. Versions stored before this revision keep NULL (not known) and
are not compared. A plain ADD COLUMN (SQLite keeps the table). Nothing is audited.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('policy_version', sa.Column('issued_year', sa.Integer(), nullable=True))
    op.add_column('policy_version', sa.Column('issued_number', sa.Integer(), nullable=True))


def downgrade() -> None:
    # (SQLite's own DROP COLUMN, 3.35+)
    op.execute("ALTER TABLE policy_version DROP COLUMN issued_number")
    op.execute("ALTER TABLE policy_version DROP COLUMN issued_year")
