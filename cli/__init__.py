"""The command line: a front-end like the GUI, over core/ and db/ (no Qt)."""
