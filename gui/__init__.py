"""PySide6 front-end of Zizhu (资助助手)."""
