"""Zizhu core: plain, typed, Qt-free domain logic (IDs, policy engine, importers)."""
