"""Every file an option names, read one way: a regular file (not a FIFO or a device), at most a bound of bytes,
UTF-8, and YAML composed before it is built so that aliases cannot expand past a bound. A refusal is one
UsageError naming the option and the file, raised before the lab is touched."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from labconform.errors import UsageError

MAX_BYTES = 16 * 1024 * 1024  # the largest input a lab has: a results.json of a few hundred claims is under 2 MB
MAX_YAML_NODES = 100_000  # a lab's parameters or waivers are a few hundred nodes, aliases expanded


def read_text(path: str | Path, option: str, limit: int = MAX_BYTES) -> str:
    """The file's text; a UsageError when it is missing, not a regular file, over `limit` bytes or not UTF-8."""
    p = Path(path)
    path = str(path)[:200] + ("..." if len(str(path)) > 200 else "")  # as the messages show it
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{option} {path}: not a regular file")
        if st.st_size > limit:
            raise UsageError(f"{option} {path}: {st.st_size} bytes, over the bound of {limit}")
        with p.open("rb") as fh:
            data = fh.read(limit + 1)  # it may have grown since
    except FileNotFoundError:
        raise UsageError(f"{option} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{option} {path}: a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read it ({exc.strerror or 'error'})") from None
    except ValueError:  # a NUL byte in the name
        raise UsageError(f"{option} {path}: not a path") from None
    if len(data) > limit:
        raise UsageError(f"{option} {path}: over the bound of {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{option} {path}: not UTF-8 text (byte {exc.start})") from None


def expanded_nodes(node: yaml.Node, limit: int = MAX_YAML_NODES) -> int:
    """How many nodes the document has with every alias expanded, counted without expanding them; a recursive
    alias counts as over any bound."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n: yaml.Node) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        if id(n) in open_nodes:
            return limit + 1  # an alias to a node that holds it
        open_nodes.add(id(n))
        if isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(c) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        else:
            total = 1
        open_nodes.discard(id(n))
        sizes[id(n)] = min(total, limit + 1)
        return sizes[id(n)]

    return size(node)


def load_yaml(text: str, option: str, path: str | Path) -> Any:
    """The YAML document of a file, with PyYAML's safe loader; invalid YAML, or aliases that expand past
    MAX_YAML_NODES (a "billion laughs"), is a UsageError."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if expanded_nodes(node) > MAX_YAML_NODES:
            raise UsageError(f"{option} {path}: its aliases expand past {MAX_YAML_NODES} nodes: refused")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()
        raise UsageError(f"{option} {path}: not valid YAML ({' '.join(first[:4])[:300]})") from None
    except RecursionError:
        raise UsageError(f"{option} {path}: nested too deep to read") from None
    finally:
        loader.dispose()


def read_yaml(path: str | Path, option: str, limit: int = MAX_BYTES) -> tuple[Any, str]:
    """A YAML file an option names: its document and its text (for the lines of its keys)."""
    text = read_text(path, option, limit)
    return load_yaml(text, option, path), text
