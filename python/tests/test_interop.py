"""One ingestion module: every producer (polars, pyarrow, pandas) x every id and weight dtype
reads to the same graph."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import aluna
from aluna.exceptions import ColumnError

SOURCE = [1, 2, 2, 3, 5]
TARGET = [2, 3, 1, 4, 5]
WEIGHT = [1.0, 2.0, 0.5, 4.0, 1.5]

INT_TYPES = [
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint16(),
    pa.uint32(),
    pa.uint64(),
]
STRING_TYPES = [pa.string(), pa.large_string(), pa.string_view()]
FLOAT_TYPES = [pa.float16(), pa.float32(), pa.float64(), pa.int32(), pa.uint8()]


def expected(ids_as_strings: bool) -> pl.DataFrame:
    frame = aluna.CaseGraph.from_edges(
        pl.DataFrame({"source": SOURCE, "target": TARGET, "w": WEIGHT}), weight="w"
    ).degree("w")
    if ids_as_strings:
        frame = frame.with_columns(pl.col("node").cast(pl.String))
    return frame


FLOAT64 = pa.float64()


def arrow_edges(id_type: pa.DataType, weight_type: pa.DataType = FLOAT64) -> pa.Table:
    as_str = (
        pa.types.is_string(id_type)
        or pa.types.is_large_string(id_type)
        or id_type == pa.string_view()
    )
    cast = (lambda v: [str(x) for x in v]) if as_str else list
    return pa.table(
        {
            "source": pa.array(cast(SOURCE), type=id_type),
            "target": pa.array(cast(TARGET), type=id_type),
            "w": pa.array(WEIGHT, type=pa.float64()).cast(weight_type, safe=False),
        }
    )


@pytest.mark.parametrize("id_type", INT_TYPES + STRING_TYPES, ids=str)
@pytest.mark.parametrize("producer", ["pyarrow", "polars", "pandas"])
def test_every_producer_and_id_type(producer, id_type):
    table = arrow_edges(id_type)
    data: object = {
        "pyarrow": lambda: table,
        "polars": lambda: pl.DataFrame(table),
        "pandas": lambda: table.to_pandas(),
    }[producer]()
    as_str = id_type in STRING_TYPES
    ours = aluna.CaseGraph.from_edges(data, weight="w").degree("w")
    assert_frame_equal(ours, expected(as_str))


@pytest.mark.parametrize("weight_type", FLOAT_TYPES, ids=str)
def test_weight_types(weight_type):
    ours = aluna.CaseGraph.from_edges(arrow_edges(pa.int64(), weight_type), weight="w")
    want = expected(False)
    if weight_type in (pa.int32(), pa.uint8()):  # integer weights truncate 0.5 and 1.5
        want = aluna.CaseGraph.from_edges(
            pl.DataFrame({"source": SOURCE, "target": TARGET, "w": [int(w) for w in WEIGHT]}),
            weight="w",
        ).degree("w")
    assert_frame_equal(ours.degree("w"), want)


@pytest.mark.parametrize(
    "producer", ["polars-categorical", "polars-enum", "pyarrow-dictionary", "pandas-category"]
)
def test_dictionary_encoded_ids(producer):
    strings = pl.DataFrame(
        {"source": [str(s) for s in SOURCE], "target": [str(t) for t in TARGET], "w": WEIGHT}
    )
    if producer == "polars-categorical":
        data: object = strings.with_columns(pl.col("source", "target").cast(pl.Categorical))
    elif producer == "polars-enum":
        levels = sorted({*strings["source"], *strings["target"]})
        data = strings.with_columns(pl.col("source", "target").cast(pl.Enum(levels)))
    elif producer == "pyarrow-dictionary":
        table = strings.to_arrow()
        data = table.set_column(0, "source", table["source"].dictionary_encode()).set_column(
            1, "target", table["target"].dictionary_encode()
        )
    else:
        data = strings.to_pandas().astype({"source": "category", "target": "category"})
    ours = aluna.CaseGraph.from_edges(data, weight="w").degree("w")
    assert_frame_equal(ours, expected(True))


def test_multi_chunk_streams():
    table = arrow_edges(pa.int64())
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=2))
    assert chunked["source"].num_chunks == 3
    assert_frame_equal(aluna.CaseGraph.from_edges(chunked, weight="w").degree("w"), expected(False))
    rechunked = pl.concat([pl.DataFrame(table[:2]), pl.DataFrame(table[2:])], rechunk=False)
    assert rechunked.n_chunks() == 2
    assert_frame_equal(
        aluna.CaseGraph.from_edges(rechunked, weight="w").degree("w"), expected(False)
    )


def test_lazy_frames_and_dicts():
    lazy = pl.LazyFrame({"source": SOURCE, "target": TARGET, "w": WEIGHT})
    assert_frame_equal(aluna.CaseGraph.from_edges(lazy, weight="w").degree("w"), expected(False))
    plain = {"source": SOURCE, "target": TARGET, "w": WEIGHT}
    assert_frame_equal(aluna.CaseGraph.from_edges(plain, weight="w").degree("w"), expected(False))


def test_null_in_a_later_chunk_names_the_global_row():
    batches = [
        pa.record_batch({"source": pa.array([1, 2]), "target": pa.array([2, 3])}),
        pa.record_batch({"source": pa.array([3, None]), "target": pa.array([4, 5])}),
    ]
    with pytest.raises(aluna.exceptions.BadValueError, match="row 3"):
        aluna.CaseGraph.from_edges(pa.Table.from_batches(batches))


def test_boolean_ids_are_refused():
    with pytest.raises(ColumnError, match="Boolean"):
        aluna.CaseGraph.from_edges(pl.DataFrame({"source": [True], "target": [False]}))


def test_pandas_object_strings():
    frame = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]})
    assert aluna.CaseGraph.from_edges(frame).number_of_edges() == 2


def test_all_null_polars_columns_name_the_row():
    edges = pl.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "w": [None, None]})
    with pytest.raises(aluna.exceptions.BadValueError, match="column `w`, row 0: null"):
        aluna.CaseGraph.from_edges(edges, weight="w")
