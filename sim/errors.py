"""Bad input: one kind of error for everything a user gives that cannot be used.

A scenario or experiment file, a field, a data file, a results folder, a figure's name, a
policy's parameter, a value on the command line: each module raises its own subclass of
:class:`InputError`, whose message names the file (or option) and the field, and says what
was expected, one problem per line. The command line prints the message as it is and exits
with code 2; it never shows a traceback for bad input.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input; ``str(err)`` names where and what was expected, one problem per line."""
