"""Params to call the corpus's procedures with, as a client would send them (JSON, by the schema's names).

``EXAMPLE_PARAMS[document][procedure]`` lists params objects for every procedure of the
registries of ``corpus.py``: the required params alone first, then fuller ones. Each must be
valid for the procedure's ``params`` schema, be accepted by the server, and compile as a
literal of the generated ``Procedures[...]["params"]`` type (``tests/ts/test_wire_types.py``).
"""

from __future__ import annotations

from typing import Any

_BIG = str(2**63 + 1)  # 9223372036854775809: a float64 would make it ...808
_USER_INPUT = {"id": 1, "name": "Ann", "email": None}
_USER_FULL = {
    **_USER_INPUT,
    "email": "ann@example.com",
    "tags": ["a"],
    "address": {"street": "1 Main St", "zip_code": None},
    "color": "dark-blue",
    "created": "2025-01-02T03:04:05Z",
}

EXAMPLE_PARAMS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "empty": {},
    "scalars": {
        "add": [{"a": 1, "b": 2}],
        "anything": [{"value": None, "meta": {}}, {"value": [1, "two", {"three": 3.5}], "meta": {"k": [True, None]}}],
        "blob": [{"data": "hello"}],
        "greet": [{"name": "Ann"}, {"name": "Ann", "excited": True}],
        "ids": [
            {"id": "12345678-1234-5678-1234-567812345678", "amount": "1.50"},
            {"id": "12345678-1234-5678-1234-567812345678", "amount": 2.25},
        ],
        "ping": [{}],
        "scale": [{"x": 1.5}, {"x": 1.5, "factor": 3}],
        "when": [{"at": "2025-01-02T03:04:05+01:00", "day": "2025-02-03", "clock": "10:30:00", "span": "PT1H30M"}],
        "whoami": [{}, {"verbose": True}],
    },
    "containers": {
        "collections": [
            {"numbers": [1, 2], "unique": ["a", "b"], "frozen": [3, 1], "pair": [7, "seven"], "rest": []},
            {"numbers": [], "unique": [], "frozen": [], "pair": [0, ""], "rest": [1.5, 2.5]},
        ],
        "literals": [{"mode": "fast"}, {"mode": "slow", "level": 3, "flag": True}],
        "mappings": [{"counts": {}, "nested": {}}, {"counts": {"a": 1, "b": -1}, "nested": {"a": [0.5]}}],
        "nullable": [{"required_nullable": None}, {"required_nullable": 1, "optional": 2, "optional_nullable": "x"}],
        "patterned": [{"codes": {}}, {"codes": {"a": 1, "bc": -2}}],
        "unions": [{"value": None, "values": []}, {"value": "text", "values": [1, "two"]}, {"value": 3, "values": []}],
    },
    "models": {
        "create_user": [{"user": _USER_INPUT}, {"user": _USER_FULL}],
        "enums": [{"color": "red"}, {"color": "dark-blue", "priority": 2}],
        "get_user": [{"id": 7}],
        "keywords": [{"value": {"class": 1}}, {"value": {"class": 2, "from": "x", "default": True, "kebab-name": "k"}}],
        "list_users": [{}, {"page": 2, "color": None}, {"page": 1, "color": "green"}],
        "org": [
            {"department": {"name": "R&D"}},
            {"department": {"name": "R&D", "staff": [{"name": "Bo", "department": {"name": "Ops"}}]}},
        ],
        "pets": [
            {"pet": {"pet": {"kind": "cat"}}, "others": []},
            {"pet": {"pet": {"kind": "dog", "good": False}}, "others": [{"kind": "cat", "lives": 3}, {"kind": "dog"}]},
        ],
        "shapes": [
            {"size": {"width": 2}, "movie": {"title": "Heat", "year": 1995}, "options": {}},
            {"size": {"width": 2, "height": 0.5}, "movie": {"title": "M", "year": 1931}, "options": {"depth": 2}},
        ],
        "tree": [
            {"node": {"value": 1}},
            {"node": {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}},
        ],
    },
    "names": {
        "Mixed-Case_name9": [{}],
        "admin.users.delete": [{"id": 1}, {"id": 1, "hard": True}],
        "class": [{"default": 1}, {"default": 1, "self": "me", "import": 2}],
        "naïve.ünïcode": [{"text": "ünïcode \u2028 and 𝄞"}],
        "users": [{}],
        "users.get": [{"id": 3}],
        "users.list": [{}, {"limit": 2}],
        "users_get": [{}],
    },
    "aliases": {
        "accounts.get": [{"user_id": 7}],
        "accounts.group": [
            {"accounts": [], "by_key": {}},
            {"accounts": [{"userId": 1}], "by_key": {"a": {"userId": 2, "displayName": "Bo"}, "b": None}},
        ],
        "accounts.rename": [{"account": {"userId": 1}, "displayName": "Ann"}],
        "pack": [
            {"box": {"itemCount": 2}, "quota": {"maxSize": 10}},
            {"box": {"itemCount": 2, "boxLabel": "fragile"}, "quota": {"maxSize": 10, "softLimit": 8}},
        ],
        "profiles.find": [{"first_name": ""}, {"first_name": "Ann"}],
        "profiles.save": [
            {"profile": {"firstName": "Ann"}},
            {
                "profile": {
                    "firstName": "Ann",
                    "lastSeen": "2025-01-02T03:04:05Z",
                    "home": {"street": "1 Main St"},
                    "accounts": [{"userId": 1, "displayName": None}],
                }
            },
        ],
        "transfer": [{"transfer": {"amountCents": 150}}, {"transfer": {"amountCents": 150, "memo": "rent"}}],
    },
    "bigints": {
        "big.add": [{"a": "9223372036854775807"}, {"a": "-1", "b": "18446744073709551616"}],
        "big.ledger": [{"id": _BIG}],
        "big.save": [
            {"ledger": {"id": "1"}, "counts": {}},
            {
                "ledger": {"id": _BIG, "balance": "-" + _BIG, "history": ["0"], "by_day": {"mon": _BIG}, "limit": None},
                "counts": {"a": _BIG},
            },
        ],
        "big.snowflake": [
            {"flake": {"id": _BIG}},
            {"flake": {"id": "1", "parent": None, "shards": {"a": [_BIG, "-2"]}}},
        ],
        "big.sum": [{"values": []}, {"values": [_BIG, "1"], "extra": _BIG}],
        "big.tally": [{"counts": {}}, {"counts": {_BIG: 1, "-2": 3}}],
    },
}
