"""receiving side (汇总): trusted signers, received packages, intake log, expected schools

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Only new tables: a database that receives packages keeps its school-side tables as
they are (a central school receives and has its own students). Nothing existing is
changed and no audit entry is written, so the audit chain and the seals still hold.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _text(name: str, length: int | None = None) -> sa.Column:
    return sa.Column(name, sa.String(length=length) if length else sa.Text(), nullable=False)


def upgrade() -> None:
    op.create_table(
        'expected_school',
        sa.Column('id', sa.Integer(), nullable=False),
        _text('code', 50), _text('name', 200), _text('township', 100), _text('level', 40),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('code'))
    op.create_table(
        'package_blob',
        _text('sha256', 64), sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('sha256'))
    op.create_table(
        'trusted_signer',
        sa.Column('id', sa.Integer(), nullable=False),
        _text('fingerprint', 100), _text('public_key'), _text('school_code', 50), _text('school_name', 200),
        _text('township', 100), sa.Column('registered_at', sa.DateTime(), nullable=False),
        _text('registered_by', 100), sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_trusted_signer_fingerprint', 'trusted_signer', ['fingerprint'])
    op.create_index('ix_trusted_signer_school_code', 'trusted_signer', ['school_code'])
    op.create_table(
        'received_package',
        sa.Column('id', sa.Integer(), nullable=False),
        _text('sha256', 64), _text('file_name', 300), _text('school_code', 50), _text('school_name', 200),
        _text('township', 100), sa.Column('school_year', sa.Integer(), nullable=False), _text('kind', 20),
        _text('generated_at', 40), sa.Column('received_at', sa.DateTime(), nullable=False),
        _text('received_by', 100), _text('signer_fingerprint', 100), _text('via', 50), _text('state', 10),
        sa.Column('replaced_by', sa.Integer(), nullable=True),
        sa.Column('students', sa.Integer(), nullable=False), sa.Column('total_fen', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['replaced_by'], ['received_package.id']),
        sa.ForeignKeyConstraint(['sha256'], ['package_blob.sha256']),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('sha256'))
    op.create_index('ix_received_package_school', 'received_package', ['school_code', 'school_year', 'state'])
    op.create_table(
        'intake_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False), _text('by', 100), _text('file_name', 300),
        _text('sha256', 64), _text('school_code', 50), sa.Column('school_year', sa.Integer(), nullable=True),
        sa.Column('draft', sa.Boolean(), nullable=False), _text('result', 10), _text('reason'),
        sa.Column('package_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['package_id'], ['received_package.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_intake_log_school', 'intake_log', ['school_code'])
    op.create_table(
        'received_student',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=False),
        _text('id_number', 40), _text('name', 100), _text('gender', 10), _text('stage', 40), _text('grade', 40),
        _text('class_name', 40), _text('location', 20), _text('ownership', 20), _text('category', 40),
        _text('township', 100), _text('village', 100), _text('household_no', 60),
        sa.Column('verified', sa.Boolean(), nullable=False), _text('prior_grants', 200), _text('pending', 400),
        sa.Column('total_fen', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['received_package.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_received_student_id_number', 'received_student', ['id_number'])
    op.create_index('ix_received_student_package_id', 'received_student', ['package_id'])
    op.create_table(
        'received_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        _text('item_code', 40), sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.Column('city_fen', sa.Integer(), nullable=False), sa.Column('county_fen', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['received_package.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['student_id'], ['received_student.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_received_grant_package_id', 'received_grant', ['package_id'])
    op.create_index('ix_received_grant_student_id', 'received_grant', ['student_id'])


def downgrade() -> None:
    for table in ('received_grant', 'received_student', 'intake_log', 'received_package', 'trusted_signer',
                  'package_blob', 'expected_school'):
        op.drop_table(table)
