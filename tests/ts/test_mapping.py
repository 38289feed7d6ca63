"""Each row of the mapping table, checked on the generated text of the zoo.

The tsc tests prove the declarations compile and type calls; these pin the exact spelling.
"""

from __future__ import annotations

import pytest

from .conftest import interface


@pytest.fixture
def dts(files: dict[str, str]) -> str:
    return files["index.d.ts"]


def test_scalars(dts: str) -> None:
    assert "add(a: number, b: number): Promise<number>;" in dts
    assert "scale(x: number, factor?: number): Promise<number>;" in dts
    assert "greet(name: string, excited?: boolean): Promise<string>;" in dts
    assert "ping(): Promise<null>;" in dts


def test_nullable_and_optional_are_distinct(dts: str) -> None:
    assert "find(query: string | null, limit?: number | null): Promise<number[] | null>;" in dts
    user_in = interface(dts, "UserInput")
    user_out = interface(dts, "User")
    # x: T | None = None: optional and nullable on input, present (still nullable) on output.
    assert "  nickname?: string | null;\n" in user_in
    assert "  nickname: string | null;\n" in user_out
    # Optional[T] without a default: required and nullable on both sides.
    assert "  bio: string | null;\n" in user_in
    assert "  bio: string | null;\n" in user_out
    # a default: optional on input, always present on output.
    assert "  age?: number;\n" in user_in
    assert "  age: number;\n" in user_out


def test_one_shape_when_input_and_output_agree(dts: str) -> None:
    assert "export interface Point {" in dts
    assert "export interface PointInput" not in dts


def test_collections(dts: str) -> None:
    assert (
        "collections(numbers: number[], unique: string[], frozen: number[], pair: [number, string], "
        "many: number[], empty: []): Promise<[number, string]>;"
    ) in dts
    assert "@param unique - uniqueItems" in dts


def test_mappings(dts: str) -> None:
    assert "by_name: { [key: string]: number }" in dts
    assert 'by_literal: { [K in "a" | "b"]?: number }' in dts
    assert "by_color: { [K in Color]?: number }" in dts
    assert "by_int: { [key: string]: string }" in dts
    assert "Promise<{ [key: string]: number[] }>" in dts


def test_literals(dts: str) -> None:
    assert (
        'literals(word: "yes" | "no", number: 1 | 2 | 3, flag: true, mixed: "a" | 1 | false | null, '
        'single: "only"): Promise<"ok" | "fail">;'
    ) in dts


def test_enums_are_types_and_values(files: dict[str, str], dts: str) -> None:
    assert 'export type Color = "red" | "green" | "dark-blue";' in dts
    assert 'export declare const Color: {\n  readonly RED: "red";\n  readonly GREEN: "green";\n' in dts
    assert "export type Priority = 1 | 2;" in dts
    assert 'export const Color = Object.freeze({\n  RED: "red",\n' in files["index.js"]
    assert "export const Priority = Object.freeze({\n  LOW: 1,\n  HIGH: 2,\n});" in files["index.js"]
    assert "enums(color: Color, priority?: Priority): Promise<Color>;" in dts


def test_unions_and_discriminated_unions(dts: str) -> None:
    assert "unions(value: number | string, pet: Cat | Dog): Promise<Pet>;" in dts
    pet = interface(dts, "Pet")
    assert "@discriminator kind" in pet
    assert "  pet: Cat | Dog;\n" in pet
    assert '  kind: "cat";\n' in interface(dts, "Cat")


def test_recursion(dts: str) -> None:
    assert "  children?: TreeNodeInput[];\n" in interface(dts, "TreeNodeInput")
    assert "  children: TreeNode[];\n" in interface(dts, "TreeNode")
    assert "  staff: Employee[];\n" in interface(dts, "Department")
    assert "  department: Department | null;\n" in interface(dts, "Employee")


def test_generic_models_get_readable_names(dts: str) -> None:
    assert "list(page?: number): Promise<Page_User>;" in dts
    assert "points(page: Page_PointInput): Promise<Page_Point>;" in dts
    assert "  items: User[];\n" in interface(dts, "Page_User")


def test_dataclasses_and_typeddicts(dts: str) -> None:
    assert "  unit?: string;\n" in interface(dts, "SizeInput")
    assert "  unit: string;\n" in interface(dts, "Size")
    assert "  year?: number;\n" in interface(dts, "MovieInput")  # NotRequired; closed as params are: an input shape
    assert "  verbose?: boolean;\n" in interface(dts, "OptionsInput")  # total=False


@pytest.mark.parametrize(
    ("field", "format_"),
    [
        ("at", "date-time"),
        ("day", "date"),
        ("clock", "time"),
        ("span", "duration"),
        ("ident", "uuid"),
        ("blob", "binary"),
        ("where", "path"),
        ("mail", "email"),
    ],
)
def test_scalars_as_their_json(dts: str, field: str, format_: str) -> None:
    for name in ("Stamps", "StampsInput"):
        assert f"  /** @format {format_} */\n  {field}: string;\n" in interface(dts, name)


def test_decimal_is_a_string_out_and_a_number_or_string_in(dts: str) -> None:
    assert "  price: number | string;\n" in interface(dts, "StampsInput")
    assert "  price: string;\n" in interface(dts, "Stamps")


def test_aliases_are_wire_names(dts: str) -> None:
    user = interface(dts, "User")
    assert "  userId: string;\n" in user
    assert "user_id" not in user
    assert "  class: string;\n" in user
    assert '  "first-name": string;\n' in user


def test_any_is_unknown_never_any(dts: str) -> None:
    assert "anything(value: unknown, meta: { [key: string]: unknown }): Promise<unknown>;" in dts
    assert ": any" not in dts
    assert "<any>" not in dts


def test_reserved_words_and_odd_names(dts: str) -> None:
    assert "keywords(function_: number, delete_?: string, new_?: boolean): Promise<number>;" in dts
    assert '"get-thing"(id: number): Promise<Point>;' in dts
    # In the by-name table the wire names stay as they are.
    assert "      function: number;\n" in dts or "params: { function: number;" in dts


def test_dotted_names_nest(dts: str) -> None:
    types = interface(dts, "Types")
    assert "  users: {\n" in types
    assert "    get(id: number): Promise<User>;\n" in types
    assert "  admin: {\n    users: {\n" in types
    assert "      purge(before: string, dry_run?: boolean): Promise<number>;\n" in types
    assert '  "users.get": {\n' in interface(dts, "Procedures")


def test_docstrings_and_constraints_become_jsdoc(dts: str) -> None:
    assert "    /** Fetch one user by id. */\n    get(id: number): Promise<User>;\n" in dts
    user = interface(dts, "User")
    assert "   * The user's id.\n   *\n   * @minimum 1\n" in user
    assert "   * @minLength 1\n   * @maxLength 50\n   * @pattern ^[A-Za-z ]+$\n" in user
    assert "   * @exclusiveMinimum 0\n   * @exclusiveMaximum 100\n   * @multipleOf 0.5\n" in user
    assert "@deprecated" in user
    assert "@param count - How many, from 0 to 10. (minimum 0, maximum 10)" in dts
    # A docstring cannot close the comment early.
    assert "Docstring with a *\\/ comment terminator" in dts
    assert "@returns A *\\/ tricky description." in dts


def test_runtime_lists_the_procedures(files: dict[str, str]) -> None:
    assert 'export const procedures = Object.freeze(["add", "admin.users.purge",' in files["index.js"]
