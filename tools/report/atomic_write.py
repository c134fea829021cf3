"""Atomic file writes for the report tools: write beside the target, then os.replace, so a
reader never sees a half-written report.md or PNG and an interrupted run leaves the old one."""

import os
import tempfile


def write_atomically(path, write):
    """Calls write(tmp_path) for a temporary file beside `path`, then renames it over `path`
    (with the permissions a new file would get under the current umask)."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomically(path, text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    write_atomically(path, write)
