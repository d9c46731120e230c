"""Zizhu 教育资助核准助手. `python main.py` opens the GUI; `python main.py COMMAND` runs the CLI."""
import sys

if __name__ == "__main__":
    import multiprocessing
    multiprocessing.freeze_support()   # the GUI's worker child process, in the bundle too (gui.worker)
    try:
        from core.in_child import remember_start
        remember_start()   # whether the second core is free, looked behind the lagging load (core.in_child)
        from cli.commands import run
        from cli.ending import end
    except KeyboardInterrupt:          # Ctrl+C while the program's modules load: no traceback
        print("已取消", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a broken installation: the one error dialog, the log
        from gui.crash import startup_failure
        sys.exit(startup_failure(exc))
    end(run())     # a command's process ends without freeing what it made (cli.ending)
