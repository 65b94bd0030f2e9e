"""Tests for turning arXiv OAI-DC subject names into category codes."""

import re

import pytest

from paperwire.ingest.subjects import SUBJECT_CATEGORIES, categories_from_subjects

CATEGORY_CODE = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")

# Subject names copied from the 2014-2015 OAI-DC harvest.
REAL_SUBJECT_NAMES = [
    "High Energy Physics - Phenomenology",
    "High Energy Physics - Theory",
    "Condensed Matter - Mesoscale and Nanoscale Physics",
    "Mathematics - Combinatorics",
    "Condensed Matter - Materials Science",
    "Mathematics - Analysis of PDEs",
    "Astrophysics - Cosmology and Nongalactic Astrophysics",
    "Computer Science - Information Theory",
    "Astrophysics - High Energy Astrophysical Phenomena",
    "Physics - Optics",
    "Computer Science - Learning",
    "Computer Science - Computer Vision and Pattern Recognition",
    "Statistics - Machine Learning",
    "Mathematics - Statistics Theory",
    "Computer Science - Distributed, Parallel, and Cluster Computing",
    "Computer Science - Systems and Control",
    "Computer Science - Numerical Analysis",
    "Quantitative Biology - Populations and Evolution",
    "Physics - Data Analysis, Statistics and Probability",
    "Nonlinear Sciences - Chaotic Dynamics",
    "Quantitative Biology - Neurons and Cognition",
    "Condensed Matter - Other Condensed Matter",
    "Mathematics - K-Theory and Homology",
    "Computer Science - Computational Engineering, Finance, and Science",
    "Computer Science - Human-Computer Interaction",
    "Quantitative Finance - General Finance",
    "Quantitative Finance - Economics",
    "Physics - Atomic and Molecular Clusters",
    "Statistics - Other Statistics",
    "Computer Science - General Literature",
]


def test_old_machine_learning_name_maps_to_cs_lg() -> None:
    assert categories_from_subjects(["Computer Science - Learning"]) == ["cs.LG"]


def test_current_machine_learning_name_maps_to_cs_lg() -> None:
    assert categories_from_subjects(["Computer Science - Machine Learning"]) == ["cs.LG"]


def test_statistics_machine_learning_maps_to_stat_ml() -> None:
    assert categories_from_subjects(["Statistics - Machine Learning"]) == ["stat.ML"]


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("High Energy Physics - Theory", "hep-th"),
        ("Quantum Physics", "quant-ph"),
        ("Mathematical Physics", "math-ph"),
        ("General Relativity and Quantum Cosmology", "gr-qc"),
        ("Nuclear Experiment", "nucl-ex"),
    ],
)
def test_archives_without_subdivisions_map_to_the_archive_code(subject: str, code: str) -> None:
    assert categories_from_subjects([subject]) == [code]


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("Astrophysics - Cosmology and Nongalactic Astrophysics", "astro-ph.CO"),
        ("Condensed Matter - Materials Science", "cond-mat.mtrl-sci"),
        ("Nonlinear Sciences - Chaotic Dynamics", "nlin.CD"),
        ("Quantitative Biology - Neurons and Cognition", "q-bio.NC"),
        ("Quantitative Finance - Statistical Finance", "q-fin.ST"),
        ("Physics - Atomic and Molecular Clusters", "physics.atm-clus"),
        ("Electrical Engineering and Systems Science - Signal Processing", "eess.SP"),
        ("Economics - Econometrics", "econ.EM"),
    ],
)
def test_archive_and_category_names_map_to_the_category_code(subject: str, code: str) -> None:
    assert categories_from_subjects([subject]) == [code]


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("Condensed Matter", "cond-mat"),
        ("Astrophysics", "astro-ph"),
        ("Quantitative Biology", "q-bio"),
        ("Physics", "physics"),
        ("Statistics", "stat"),
        ("Nonlinear Sciences", "nlin"),
        ("Mathematics", "math"),
        ("Computer Science", "cs"),
    ],
)
def test_bare_archive_names_map_to_the_archive_code(subject: str, code: str) -> None:
    assert categories_from_subjects([subject]) == [code]


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("Mathematics - Mathematical Physics", "math-ph"),
        ("Statistics - Statistics Theory", "math.ST"),
        ("Mathematics - Information Theory", "cs.IT"),
        ("Quantitative Finance - Economics", "econ.GN"),
        ("Computer Science - Systems and Control", "eess.SY"),
        ("Computer Science - Numerical Analysis", "math.NA"),
    ],
)
def test_alias_categories_map_to_their_canonical_code(subject: str, code: str) -> None:
    assert categories_from_subjects([subject]) == [code]


def test_a_subject_and_its_alias_give_one_code() -> None:
    subjects = ["Mathematical Physics", "Mathematics - Mathematical Physics"]
    assert categories_from_subjects(subjects) == ["math-ph"]


def test_msc_and_acm_codes_are_dropped() -> None:
    subjects = ["05C15", "57M25, 57M27", "I.2.7", "F.3.1", "47A52 - 65J20", "Quantum Physics"]
    assert categories_from_subjects(subjects) == ["quant-ph"]


def test_free_text_is_dropped() -> None:
    subjects = [
        "Primary: 93C20, 35Q30, 76D05,\n  Secondary: 74A99, 35Q74",
        "Differential geometry",
        "High Energy Physics - Theory, Mathematical Physics",
        "stat.ML - Machine Learning",
        "",
    ]
    assert categories_from_subjects(subjects) == []


def test_duplicates_are_removed_keeping_order() -> None:
    subjects = [
        "Statistics - Machine Learning",
        "Computer Science - Learning",
        "Statistics - Machine Learning",
        "Computer Science - Machine Learning",
        "Computer Science - Artificial Intelligence",
    ]
    assert categories_from_subjects(subjects) == ["stat.ML", "cs.LG", "cs.AI"]


def test_surrounding_whitespace_is_ignored() -> None:
    assert categories_from_subjects(["  Quantum Physics\n", "\tPhysics - Optics "]) == [
        "quant-ph",
        "physics.optics",
    ]


def test_any_iterable_of_subjects_is_accepted() -> None:
    subjects = (s for s in ["Nuclear Theory", "Nuclear Experiment"])
    assert categories_from_subjects(subjects) == ["nucl-th", "nucl-ex"]


def test_no_subjects_give_no_codes() -> None:
    assert categories_from_subjects([]) == []


@pytest.mark.parametrize("subject", [s for s in REAL_SUBJECT_NAMES if " - " in s])
def test_real_archive_and_category_names_map_to_a_category_code(subject: str) -> None:
    codes = categories_from_subjects([subject])
    assert len(codes) == 1
    assert CATEGORY_CODE.match(codes[0])


def test_every_mapped_code_looks_like_a_category_code() -> None:
    bad = {name: code for name, code in SUBJECT_CATEGORIES.items() if not CATEGORY_CODE.match(code)}
    assert bad == {}
