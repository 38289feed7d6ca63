"""The names of ``$defs`` entries, chosen exactly as pydantic chooses them, at a fraction of the cost.

While a document is built every definition (a model, enum, dataclass or TypedDict, in one
mode) is known by a unique key. pydantic's rule for its final name: each definition has a list
of candidates, shortest first (``Model``, ``Model-Input``, ``module__Model``,
``module__Model-Input``, then two with an occurrence number), and takes the first candidate
on which every definition listing it agrees, that is, whose schemas are all equal once their
own references are renamed. Renaming references can make schemas equal that were not (an
``Order`` whose input and output differ only by referring to ``Item-Input`` and
``Item-Output`` is one ``Order`` once ``Item`` is), so the choice is repeated until nothing
changes. pydantic repeats it by deep-copying and comparing the whole ``$defs`` each round;
here each definition is a JSON text with holes where its references go, and a round is
string joins.

One difference: classes that share a module and a qualname (made by a factory) are numbered
in the order the document reaches them, depth first; pydantic numbers them in the order its
generator happens to meet them. Both are deterministic.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

JsonSchemaMode = Literal["validation", "serialization"]

_MODE_TITLE: dict[str, str] = {"validation": "Input", "serialization": "Output"}
REF_PREFIX = "#/$defs/"
"""What every reference to a ``$defs`` entry starts with."""
# A reference in sorted JSON text: a whole string "#/$defs/<key>" (after "$ref": or in a
# discriminator's mapping), not a key of an object. Only the key is captured.
_REF_IN_TEXT = re.compile(r'(?<=[^\\]"#/\$defs/)([0-9]+)(?="(?!:))')
_MAX_ROUNDS = 100  # pydantic's own bound; real schemas settle in a few rounds


@dataclass(frozen=True, eq=False)
class Shape:
    """What naming needs of one definition: where it comes from, and its schema with holes for references.

    ``parts`` and ``refs`` interleave: ``parts[0] + name(refs[0]) + parts[1] + ...`` is the
    schema as sorted JSON text, with the references' names filled in.
    """

    core_ref: str
    mode: JsonSchemaMode
    parts: tuple[str, ...]
    refs: tuple[str, ...]
    short: str
    """The class's name as pydantic writes it in ``$defs`` (``Page_User_`` for ``Page[User]``)."""
    qualified: str
    """The same, qualified with the module (``app__models__User``)."""

    @classmethod
    def of(cls, core_ref: str, mode: JsonSchemaMode, schema: Any) -> Shape:
        """The shape of ``schema``, whose references are ``#/$defs/<key>``."""
        # split() with one group alternates text and captured keys: [text, key, text, key, ..., text].
        pieces = _REF_IN_TEXT.split(_sorted_text(schema))
        # As pydantic's GenerateJsonSchema.get_defs_ref: generic arguments are components of their own.
        components = [part.rsplit(":", 1)[0] for part in re.split(r"([\][,])", core_ref)]
        qualified = _normalize("".join(components))
        short = _normalize("".join(re.sub(r"(?:[^.[\]]+\.)+((?:[^.[\]]+))", r"\1", part) for part in components))
        return cls(core_ref, mode, tuple(pieces[0::2]), tuple(pieces[1::2]), short, qualified)

    def render(self, names: Mapping[str, str]) -> str:
        """The sorted JSON text with ``names`` in the holes (a key without a name stays as it is)."""
        return self.template.format(*[names.get(ref, ref) for ref in self.refs])

    @cached_property
    def template(self) -> str:
        # str.format does the joining in C: a naming round renders every definition.
        return "{}".join(part.replace("{", "{{").replace("}", "}}") for part in self.parts)


def choose_names(shapes: Mapping[str, Shape]) -> dict[str, str]:
    """The final ``$defs`` name of every key of ``shapes`` (iterated in a deterministic order).

    Several keys may get one name: the input and output shapes of a model that has only one
    shape, or two classes of one name whose schemas are equal.
    """
    choices = _candidates(shapes)
    # Round 0: every definition under its own unique (last) candidate, as in pydantic.
    current = {key: options[-1] for key, options in choices.items()}
    for _ in range(_MAX_ROUNDS):
        rendered = {key: shape.render(current) for key, shape in shapes.items()}
        schemas_of: defaultdict[str, set[str]] = defaultdict(set)
        for key, options in choices.items():
            for option in options:
                schemas_of[option].add(rendered[key])
        chosen = {
            key: next(option for option in options if len(schemas_of[option]) == 1) for key, options in choices.items()
        }
        if chosen == current:
            return chosen
        current = chosen
    raise RuntimeError("the $defs names did not settle; this is a bug in pyrpc_core.schema.names")


def _candidates(shapes: Mapping[str, Shape]) -> dict[str, list[str]]:
    """Each key's candidate names, shortest first, as pydantic's ``GenerateJsonSchema.get_defs_ref`` makes them."""
    occurrences: dict[str, dict[str, int]] = {}
    result: dict[str, list[str]] = {}
    for key, shape in shapes.items():
        short, qualified = shape.short, shape.qualified
        # Classes of one module and qualname (made by a factory, say) are numbered in order of appearance.
        seen = occurrences.setdefault(qualified, {})
        occurrence = seen.setdefault(shape.core_ref, len(seen) + 1)
        mode = _MODE_TITLE[shape.mode]
        result[key] = [
            short,
            f"{short}-{mode}",
            qualified,
            f"{qualified}-{mode}",
            f"{qualified}__{occurrence}",
            f"{qualified}-{mode}__{occurrence}",
        ]
    return result


def _normalize(name: str) -> str:
    """pydantic's ``GenerateJsonSchema.normalize_name``."""
    return re.sub(r"[^a-zA-Z0-9.\-_]", "_", name).replace(".", "__")


def rename_refs(node: Any, names: Mapping[str, str]) -> Any:
    """A copy of the JSON value ``node`` with every ``#/$defs/<key>`` string pointing to ``names[key]``.

    Every such string, as pydantic remaps them: ``$ref`` values and a discriminator's mapping.
    """
    if isinstance(node, dict):
        return {field: rename_refs(value, names) for field, value in node.items()}
    if isinstance(node, list):
        return [rename_refs(item, names) for item in node]
    if isinstance(node, str) and node.startswith(REF_PREFIX):
        name = names.get(node[len(REF_PREFIX) :])
        return node if name is None else REF_PREFIX + name
    return node


def refs_in(schemas: Iterable[Any]) -> Sequence[str]:
    """The keys of the references in ``schemas``, in order of appearance, each once."""
    found: dict[str, None] = {}
    for schema in schemas:
        for key in _REF_IN_TEXT.findall(_sorted_text(schema)):
            found.setdefault(key, None)
    return list(found)


def _sorted_text(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
