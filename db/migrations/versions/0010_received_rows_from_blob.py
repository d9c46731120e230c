"""received packages: the students and grants are read from the stored package only

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

``received_student`` and ``received_grant`` repeated, row by row, what the signed
``data.json`` of each package in ``package_blob`` says; every reader (cross-checks,
status, lists, consolidated exports, spot checks, feedback) already read the stored
package itself, only a replacement's change list read the rows. Intake no longer
writes them (a county's 45,000 students and 135,000 grants were most of its cost), so
the tables go. Nothing is lost: the blobs hold every figure; the downgrade rebuilds
the rows from them. The audit chain is untouched.
"""
import io
import json
import zipfile
from typing import cast

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_received_grant_student_id', table_name='received_grant')
    op.drop_index('ix_received_grant_package_id', table_name='received_grant')
    op.drop_table('received_grant')
    op.drop_index('ix_received_student_package_id', table_name='received_student')
    op.drop_index('ix_received_student_id_number', table_name='received_student')
    op.drop_table('received_student')


_TEXTS = (('id_number', 40), ('name', 100), ('gender', 10), ('stage', 40), ('grade', 40), ('class_name', 40),
          ('location', 20), ('ownership', 20), ('category', 40), ('township', 100), ('village', 100),
          ('household_no', 60))


def downgrade() -> None:
    student = op.create_table(
        'received_student',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=False),
        *(sa.Column(n, sa.String(length=n_len), nullable=False) for n, n_len in _TEXTS),
        sa.Column('verified', sa.Boolean(), nullable=False),
        sa.Column('prior_grants', sa.String(length=200), nullable=False),
        sa.Column('pending', sa.String(length=400), nullable=False),
        sa.Column('total_fen', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['received_package.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_received_student_id_number', 'received_student', ['id_number'])
    op.create_index('ix_received_student_package_id', 'received_student', ['package_id'])
    grant = op.create_table(
        'received_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.String(length=40), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.Column('city_fen', sa.Integer(), nullable=False), sa.Column('county_fen', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['received_package.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['student_id'], ['received_student.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_received_grant_package_id', 'received_grant', ['package_id'])
    op.create_index('ix_received_grant_student_id', 'received_grant', ['student_id'])
    conn = op.get_bind()
    packages = conn.execute(sa.text('SELECT p.id, b.content FROM received_package p '
                                    'JOIN package_blob b ON b.sha256 = p.sha256 ORDER BY p.id')).all()
    students: list[dict] = []
    grants: list[dict] = []
    for package_id, content in packages:
        with zipfile.ZipFile(io.BytesIO(cast(bytes, content))) as zf:
            data = json.loads(zf.read('data.json'))
        for st in data['students']:
            sid = len(students) + 1
            row = {n: st.get(n, '') for n, _ in _TEXTS}
            students.append({**row, 'id': sid, 'package_id': package_id, 'verified': bool(st.get('verified')),
                             'prior_grants': ','.join(st.get('prior_grants', [])),
                             'pending': ','.join(st.get('pending', [])),
                             'total_fen': sum(g['amount_fen'] for g in st.get('grants', []))})
            for g in st.get('grants', []):
                shares = g.get('shares', {})
                grants.append({'id': len(grants) + 1, 'package_id': package_id, 'student_id': sid,
                               'item_code': g['code'], 'amount_fen': g['amount_fen'],
                               'city_fen': shares.get('city', 0), 'county_fen': shares.get('county', 0)})
    if students:
        op.bulk_insert(student, students)
    if grants:
        op.bulk_insert(grant, grants)
