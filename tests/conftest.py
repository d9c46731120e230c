"""Shared fixtures. Qt runs headless: the platform is set before anything imports Qt."""
import os

import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"
# Never touch the real user data or log folders from a test.
os.environ["ZIZHU_HOME"] = tempfile.mkdtemp(prefix="zizhu-test-home-")

import pytest


@pytest.fixture
def db(tmp_path):
    """An empty, migrated database."""
    from db.session import open_database
    d = open_database(tmp_path / "t.sqlite")
    yield d
    d.close()


@pytest.fixture
def demo_db(db):
    """The database filled with 120 demo students (and their roster)."""
    from db.workflows import fill_demo
    fill_demo(db, n_students=120)
    return db
