"""explorer.compare.model_name: a model named by what differs from its paper model."""

import pytest

from explorer import paper_config
from explorer.compare import family_name, model_name
from explorer.config import with_expansion

V2 = paper_config("v2")
ROWS = [b.to_dict() for b in V2.blocks]


@pytest.mark.parametrize("config, name", [
    (paper_config("v1"), "V1 (paper)"),
    (V2, "V2 (paper)"),
    (paper_config("v1", resolution=160), "V1, 160 px"),
    (V2.replace(blocks=with_expansion(V2.blocks, 4), width_multiplier=0.75), "V2, t = 4, α 0.75"),
    (paper_config("v2", blocks=[dict(r, t=4) if i == 2 else r for i, r in enumerate(ROWS)]), "V2, row 3 t = 4"),
    (paper_config("v2", blocks=ROWS[:5], residual=False, num_classes=1001), "V2, custom block table (5 rows), no residuals, 1001 classes"),
    (paper_config("v1", depthwise_separable=False, activation="relu6"), "V1, full convolutions, ReLU6"),
])
def test_names_say_what_differs_from_the_paper(config, name):
    assert model_name(config) == name


def test_family_names_are_generic():
    assert family_name("mobilenet_v2") == "V2"
    assert family_name("mobilenet_v3_large") == "V3 Large"
