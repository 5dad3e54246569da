"""The probability guard fires on NaN, infinite and out-of-range values, names the rows, and stays quiet on valid ones."""

import numpy as np
import pytest

from lead_scoring.ml.probabilities import InvalidProbabilities, require_valid


def test_valid_probabilities_pass_including_the_bounds():
    require_valid(np.array([0.0, 0.25, 1.0]), "m")
    require_valid(np.array([[0.5, -1.0], [1.0, 0.0]]), "effects", low=-1.0)
    require_valid(np.zeros(0), "an empty day")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, -0.01, 1.01])
def test_an_invalid_probability_is_refused_with_its_lead(bad):
    with pytest.raises(InvalidProbabilities, match=r"model v3 gave 1 of 3 rows .*\[0, 1\].*L2: "):
        require_valid(np.array([0.1, 0.2, bad]), "model v3", np.array(["L0", "L1", "L2"]))


def test_a_matrix_row_is_invalid_when_any_value_is():
    effects = np.array([[0.1, -0.2], [0.3, np.nan], [-1.5, 0.0]])
    with pytest.raises(InvalidProbabilities, match=r"2 of 3 rows .*\[-1, 1\].*L1: nan, L2: -1\.5"):
        require_valid(effects, "reasons", ["L0", "L1", "L2"], low=-1.0)
