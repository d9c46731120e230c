"""feedback packages (反馈包) and the origin of a finding

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A school imports a receiver's signed feedback package: the package is recorded in
``feedback_package`` and each of its findings becomes a ``finding`` row with
``feedback_id``, ``origin`` (汇总核查 / 专项核查 / 暗访), the receiver's ``title`` and
``details``. Existing findings are the school's own (the new columns empty); nothing
is audited, the chain is untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback_package',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('receiver_code', sa.String(length=50), nullable=False),
        sa.Column('receiver_name', sa.String(length=200), nullable=False),
        sa.Column('school_year', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.String(length=30), nullable=False),
        sa.Column('package_sha256', sa.String(length=64), nullable=False),
        sa.Column('signer_fingerprint', sa.String(length=100), nullable=False),
        sa.Column('file_name', sa.String(length=260), nullable=False),
        sa.Column('findings', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('imported_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256', name='uq_feedback_package_sha256'),
    )
    with op.batch_alter_table('feedback_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_package_receiver_code'), ['receiver_code'], unique=False)
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('title', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('details', sa.Text(), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_finding_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_foreign_key('fk_finding_feedback_id', 'feedback_package', ['feedback_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_constraint('fk_finding_feedback_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_finding_feedback_id'))
        batch_op.drop_column('details')
        batch_op.drop_column('title')
        batch_op.drop_column('origin')
        batch_op.drop_column('feedback_id')
    with op.batch_alter_table('feedback_package', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_package_receiver_code'))
    op.drop_table('feedback_package')
