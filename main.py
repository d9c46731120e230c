"""Zizhu 教育资助核准助手. `python main.py` opens the GUI; `python main.py COMMAND` runs the CLI."""
import sys

from cli.commands import run

if __name__ == "__main__":
    sys.exit(run())
