"""Exceptions in one line: Keras and TensorFlow texts as they really arrive (captured from
Keras 3.15 / TensorFlow 2.21), Keras 2's wording, probe errors, cuts and paths."""

from __future__ import annotations

import sys

from grader.errortext import clean_paths, full_text, same_but_numbers, shorten, summarize_probe_error, summary

VENV = sys.prefix + "/lib/python3.11/site-packages"

GRAPH_ERROR = (
    "Graph execution error:\n\nDetected at node gradient_tape/compile_loss/mse/sub/BroadcastGradientArgs "
    'defined at (most recent call last):\n  File "/tmp/nb.py", line 15, in <module>\n\n'
    f'  File "{VENV}/keras/src/utils/traceback_utils.py", line 117, in error_handler\n\n'
    f'  File "{VENV}/keras/src/backend/tensorflow/trainer.py", line 399, in fit\n\n'
    f'  File "{VENV}/keras/src/backend/tensorflow/trainer.py", line 81, in train_step\n\n'
    "Incompatible shapes: [8,7,1] vs. [8,5,1]\n\t [[{{node gradient_tape/compile_loss/mse/sub/"
    "BroadcastGradientArgs}}]] [Op:__inference_multi_step_on_iterator_1712]"
)

CELL_CALL = (
    "Exception encountered when calling LNSimpleRNNCell.call().\n\n\x1b[1mCould not automatically infer the "
    "output shape / dtype of 'ln_simple_rnn_cell' (of type LNSimpleRNNCell). Either the `LNSimpleRNNCell.call()` "
    "method is incorrect, or you need to implement the `LNSimpleRNNCell.compute_output_spec() / "
    "compute_output_shape()` method. Error encountered:\n\nDimensions must be equal, but are 20 and 40\x1b[0m\n\n"
    "Arguments received by LNSimpleRNNCell.call():\n  • inputs=tf.Tensor(shape=(None, 1), dtype=float32)\n"
    "  • states=('tf.Tensor(shape=(None, 20), dtype=float32)',)"
)

KERAS2_CALL = (
    "Exception encountered when calling layer 'lstm' (type LSTM).\n\nInput 0 of layer \"lstm\" is incompatible "
    "with the layer: expected ndim=3, found ndim=2. Full shape received: (None, 50)\n\nCall arguments received "
    "by layer 'lstm' (type LSTM):\n  • inputs=tf.Tensor(shape=(None, 50), dtype=float32)\n  • mask=None"
)


def test_graph_errors_keep_the_sentence_and_the_node_and_drop_the_frames():
    line = summary("InvalidArgumentError", GRAPH_ERROR)
    assert line == (
        "InvalidArgumentError: Incompatible shapes: [8,7,1] vs. [8,5,1] "
        "(at node gradient_tape/compile_loss/mse/sub/BroadcastGradientArgs)"
    )


def test_layer_calls_name_the_layer_and_keep_what_keras_found():
    line = summary("ValueError", CELL_CALL)
    assert line.startswith("ValueError in LNSimpleRNNCell.call(): Could not automatically infer the output shape")
    assert line.endswith("Dimensions must be equal, but are 20 and 40")
    assert "\x1b" not in line and "Arguments received" not in line and "•" not in line
    old = summary("ValueError", KERAS2_CALL)
    assert old == (
        "ValueError in layer 'lstm' (LSTM): Input 0 of layer \"lstm\" is incompatible with the layer: "
        "expected ndim=3, found ndim=2. Full shape received: (None, 50)"
    )


def test_the_graders_own_words_follow_the_language():
    """Around the exception's own (English) text, the layer and the graph node are said in Korean."""
    assert summary("ValueError", KERAS2_CALL, lang="ko").startswith(
        "ValueError ('lstm' 층(LSTM)에서): Input 0 of layer \"lstm\" is incompatible"
    )
    assert summary("ValueError", CELL_CALL, lang="ko").startswith("ValueError (LNSimpleRNNCell.call()에서): ")
    assert summary("InvalidArgumentError", GRAPH_ERROR, lang="ko").endswith(
        "[8,7,1] vs. [8,5,1] (노드 gradient_tape/compile_loss/mse/sub/BroadcastGradientArgs)"
    )
    assert summarize_probe_error("ValueError: " + KERAS2_CALL + " (in f, line 3)", lang="ko").startswith(
        "ValueError ('lstm' 층(LSTM)에서): "
    )
    assert summary("ValueError", KERAS2_CALL, lang="en") == summary("ValueError", KERAS2_CALL)


def test_keras3_input_errors_lose_the_none_name_and_inline_graph_nodes_shrink():
    assert summary(
        "ValueError",
        "Input 0 with name 'None' of layer 'lstm' is incompatible with the layer: "
        "expected ndim=3, found ndim=2. Full shape received: (2, 5)",
    ) == (
        "ValueError: Input 0 of layer 'lstm' is incompatible with the layer: expected ndim=3, found ndim=2. "
        "Full shape received: (2, 5)"
    )
    inline = (
        "Dimensions must be equal, but are 2 and 3 for '{{node compile_loss/mse/sub}} = Sub[T=DT_FLOAT]"
        "(data_1, sequential_2_1/dense_1_1/BiasAdd)' with input shapes: [?,5,2], [?,3]."
    )
    assert summary("ValueError", inline) == (
        "ValueError: Dimensions must be equal, but are 2 and 3 for node "
        "compile_loss/mse/sub with input shapes: [?,5,2], [?,3]."
    )


def test_paths_of_the_grader_python_and_run_folder_go_but_the_notebooks_own_stay():
    assert clean_paths(f"see {VENV}/keras/src/trainer.py line 3") == "see trainer.py line 3"
    assert summary(
        "FileNotFoundError", "[Errno 2] No such file or directory: '/tmp/grade-run-1a2b3c/home/data/series.csv'"
    ) == ("FileNotFoundError: [Errno 2] No such file or directory: 'data/series.csv'")
    assert "/content/drive/MyDrive/x.csv" in summary(
        "FileNotFoundError", "No such file: '/content/drive/MyDrive/x.csv'"
    )


def test_long_text_is_cut_between_words():
    text = "word " * 100
    cut = shorten(text, 50)
    assert len(cut) <= 50 and cut.endswith("…") and cut[:-1].split()[-1] == "word"
    assert shorten("short", 50) == "short"
    # An unbroken token longer than the limit is cut, but everything before it is kept whole.
    assert shorten("a " + "x" * 80, 20).startswith("a x")


def test_probe_errors_cut_by_the_probe_lose_the_fragment_and_keep_where():
    error = "ValueError: " + CELL_CALL[:300] + " (in forecast, line 3)"
    line = summarize_probe_error(error)
    assert line.endswith("… (in forecast, line 3)")
    assert not line.removesuffix("… (in forecast, line 3)").endswith("implem")  # no half word
    assert summarize_probe_error("NameError: name 'model' is not defined in the notebook") == (
        "NameError: name 'model' is not defined in the notebook"
    )
    # The grader's own reasons (no exception type) are only made one line.
    assert summarize_probe_error("the probe produced\nno readable output") == "the probe produced no readable output"


def test_full_text_keeps_every_line_without_colours():
    tb = ["\x1b[0;31m---------\x1b[0m", "\x1b[0;31mValueError\x1b[0m  Traceback", f"File {VENV}/keras/x.py:3"]
    text = full_text(tb)
    assert text.splitlines() == ["---------", "ValueError  Traceback", "File x.py:3"]


def test_errors_that_differ_only_in_shapes_count_as_one():
    assert same_but_numbers(["ValueError: received (2, 7, 1)", "ValueError: received (32, 50, 1)"])
    assert not same_but_numbers(["ValueError: received (2, 7, 1)", "TypeError: received (2, 7, 1)"])


def test_grading_says_an_error_repeated_per_input_shape_once():
    from grader.checks.base import ProbeOutput
    from grader.grading import summarized_errors

    outs = {
        f"case{i}": ProbeOutput(ok=False, error="ValueError: " + KERAS2_CALL.replace("50", str(n)))
        for i, n in enumerate((7, 50, 100))
    }
    outs["ok"] = ProbeOutput(ok=True)
    short, full = summarized_errors(outs)
    assert len({o.error for k, o in short.items() if k != "ok"}) == 1  # said once, not per shape
    assert short["case0"].error.startswith("ValueError in layer 'lstm' (LSTM): Input 0")
    assert "\n" not in short["case0"].error and set(full) == {"case0", "case1", "case2"}
    assert full["case1"] == outs["case1"].error  # the whole text stays in the check's details


def test_a_syntax_error_names_the_line_of_the_cell_not_ipythons_file():
    ko = summary("SyntaxError", "invalid syntax (331109559.py, line 1)", lang="ko")
    assert ko == "SyntaxError: invalid syntax (셀의 1번째 줄)"
    en = summary("IndentationError", "unexpected indent (/tmp/ipykernel_7/2231.py, line 3)", lang="en")
    assert en == "IndentationError: unexpected indent (line 3 of the cell)"
    assert "x.py, line 3" in summary("ValueError", "bad (x.py, line 3)")  # a student's own module stays
