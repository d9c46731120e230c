"""The bundle holds every module the program imports by name (importlib), not only those named by an
import statement: PyInstaller finds modules by reading import statements (the frozen self-test failed
with "No module named 'db.check_state_models'" when the models were only named in MODEL_MODULES)."""
import ast
from pathlib import Path

from db.models import MODEL_MODULES

ROOT = Path(__file__).resolve().parent.parent


def _imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


def test_model_modules_are_named_by_import_statements():
    assert set(MODEL_MODULES) <= _imported_names(ROOT / "db" / "models.py")
