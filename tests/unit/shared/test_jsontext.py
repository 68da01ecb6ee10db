"""JSON text on the hot path (orjson): the same documents as the standard library writes, and
what orjson refuses still written, by the standard library."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from conveyor.shared.jsontext import dumps, dumps_bytes

documents = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(documents)
def test_reads_back_as_the_standard_librarys_text_does(document):
    assert json.loads(dumps(document)) == json.loads(json.dumps(document))


def test_what_orjson_refuses_is_still_written():
    for document in ({1: "a key that is not text"}, {"n": 2**70}, {"half": "\ud800 a lone surrogate"}):
        assert json.loads(dumps_bytes(document)) == json.loads(json.dumps(document))


def test_text_is_utf8_and_compact():
    assert dumps_bytes({"name": "Zoë", "n": [1, 2]}) == '{"name":"Zoë","n":[1,2]}'.encode()
