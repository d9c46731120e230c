"""专项核查 (spot check): samples, sampled students, results

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-10

New tables only (the receiving side's spot check, db/spotcheck.py); the
school-side tables and the audit chain are untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'spot_sample',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=40), nullable=False),
        sa.Column('requested', sa.String(length=40), nullable=False),
        sa.Column('population', sa.Integer(), nullable=False),
        sa.Column('school_year', sa.Integer(), nullable=False),
        sa.Column('unannounced', sa.Boolean(), nullable=False),
        sa.Column('schools', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'spot_student',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sample_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('school_code', sa.String(length=50), nullable=False),
        sa.Column('school_name', sa.String(length=200), nullable=False),
        sa.Column('id_number', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('stratum', sa.String(length=10), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['sample_id'], ['spot_sample.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sample_id', 'seq', name='uq_spot_student_seq'),
    )
    with op.batch_alter_table('spot_student', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_student_school_code'), ['school_code'], unique=False)
    op.create_table(
        'spot_result',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('point', sa.String(length=20), nullable=False),
        sa.Column('truthful', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('entered_at', sa.DateTime(), nullable=False),
        sa.Column('entered_by', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['student_id'], ['spot_student.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('student_id', 'point', name='uq_spot_result_point'),
    )


def downgrade() -> None:
    op.drop_table('spot_result')
    with op.batch_alter_table('spot_student', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_student_school_code'))
    op.drop_table('spot_student')
    op.drop_table('spot_sample')
