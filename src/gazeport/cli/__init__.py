"""The ``gazeport`` command (typer + rich live only in this package).

Each command's module is imported when the command runs (see :data:`.commands.COMMANDS`), so
``gazeport --help`` and ``gazeport info`` do not load the exporters, the video decoder or the
label store.
"""

from .commands import app, load_commands, main

__all__ = ["app", "load_commands", "main"]
