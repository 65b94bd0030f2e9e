"""Turn arXiv OAI Dublin-Core subject names into arXiv category codes."""

from collections.abc import Iterable

# Every subject name arXiv's OAI-DC feed writes, mapped to its category code.
#
# The feed names a category "<Archive> - <Category>" (e.g. "Physics - Optics"),
# or just "<Archive>" when the archive has no subdivisions ("Quantum Physics")
# or when an old paper is filed under a bare archive ("Condensed Matter").
# Where arXiv lists a category as an alias of another (math.MP = math-ph,
# stat.TH = math.ST, math.IT = cs.IT, q-fin.EC = econ.GN, cs.SY = eess.SY,
# cs.NA = math.NA), the alias's name maps to the canonical code.
# Papers from defunct archives (alg-geom, chao-dyn, ...) are listed under the
# categories that subsumed them, so those archives' names are not subjects.
SUBJECT_CATEGORIES: dict[str, str] = {
    # Archives named on their own.
    "Astrophysics": "astro-ph",
    "Computer Science": "cs",
    "Condensed Matter": "cond-mat",
    "Economics": "econ",
    "Electrical Engineering and Systems Science": "eess",
    "General Relativity and Quantum Cosmology": "gr-qc",
    "High Energy Physics - Experiment": "hep-ex",
    "High Energy Physics - Lattice": "hep-lat",
    "High Energy Physics - Phenomenology": "hep-ph",
    "High Energy Physics - Theory": "hep-th",
    "Mathematical Physics": "math-ph",
    "Mathematics": "math",
    "Nonlinear Sciences": "nlin",
    "Nuclear Experiment": "nucl-ex",
    "Nuclear Theory": "nucl-th",
    "Physics": "physics",
    "Quantitative Biology": "q-bio",
    "Quantitative Finance": "q-fin",
    "Quantum Physics": "quant-ph",
    "Statistics": "stat",
    # Astrophysics.
    "Astrophysics - Astrophysics of Galaxies": "astro-ph.GA",
    "Astrophysics - Cosmology and Nongalactic Astrophysics": "astro-ph.CO",
    "Astrophysics - Cosmology and Extragalactic Astrophysics": "astro-ph.CO",  # older name
    "Astrophysics - Earth and Planetary Astrophysics": "astro-ph.EP",
    "Astrophysics - High Energy Astrophysical Phenomena": "astro-ph.HE",
    "Astrophysics - Instrumentation and Methods for Astrophysics": "astro-ph.IM",
    "Astrophysics - Solar and Stellar Astrophysics": "astro-ph.SR",
    # Condensed Matter.
    "Condensed Matter - Disordered Systems and Neural Networks": "cond-mat.dis-nn",
    "Condensed Matter - Materials Science": "cond-mat.mtrl-sci",
    "Condensed Matter - Mesoscale and Nanoscale Physics": "cond-mat.mes-hall",
    "Condensed Matter - Other Condensed Matter": "cond-mat.other",
    "Condensed Matter - Quantum Gases": "cond-mat.quant-gas",
    "Condensed Matter - Soft Condensed Matter": "cond-mat.soft",
    "Condensed Matter - Statistical Mechanics": "cond-mat.stat-mech",
    "Condensed Matter - Strongly Correlated Electrons": "cond-mat.str-el",
    "Condensed Matter - Superconductivity": "cond-mat.supr-con",
    # Computer Science.
    "Computer Science - Artificial Intelligence": "cs.AI",
    "Computer Science - Computation and Language": "cs.CL",
    "Computer Science - Computational Complexity": "cs.CC",
    "Computer Science - Computational Engineering, Finance, and Science": "cs.CE",
    "Computer Science - Computational Geometry": "cs.CG",
    "Computer Science - Computer Science and Game Theory": "cs.GT",
    "Computer Science - Computer Vision and Pattern Recognition": "cs.CV",
    "Computer Science - Computers and Society": "cs.CY",
    "Computer Science - Cryptography and Security": "cs.CR",
    "Computer Science - Data Structures and Algorithms": "cs.DS",
    "Computer Science - Databases": "cs.DB",
    "Computer Science - Digital Libraries": "cs.DL",
    "Computer Science - Discrete Mathematics": "cs.DM",
    "Computer Science - Distributed, Parallel, and Cluster Computing": "cs.DC",
    "Computer Science - Emerging Technologies": "cs.ET",
    "Computer Science - Formal Languages and Automata Theory": "cs.FL",
    "Computer Science - General Literature": "cs.GL",
    "Computer Science - Graphics": "cs.GR",
    "Computer Science - Hardware Architecture": "cs.AR",
    "Computer Science - Human-Computer Interaction": "cs.HC",
    "Computer Science - Information Retrieval": "cs.IR",
    "Computer Science - Information Theory": "cs.IT",
    "Computer Science - Learning": "cs.LG",  # name before 2019
    "Computer Science - Logic in Computer Science": "cs.LO",
    "Computer Science - Machine Learning": "cs.LG",
    "Computer Science - Mathematical Software": "cs.MS",
    "Computer Science - Multiagent Systems": "cs.MA",
    "Computer Science - Multimedia": "cs.MM",
    "Computer Science - Networking and Internet Architecture": "cs.NI",
    "Computer Science - Neural and Evolutionary Computing": "cs.NE",
    "Computer Science - Numerical Analysis": "math.NA",  # cs.NA, alias of math.NA
    "Computer Science - Operating Systems": "cs.OS",
    "Computer Science - Other Computer Science": "cs.OH",
    "Computer Science - Performance": "cs.PF",
    "Computer Science - Programming Languages": "cs.PL",
    "Computer Science - Robotics": "cs.RO",
    "Computer Science - Social and Information Networks": "cs.SI",
    "Computer Science - Software Engineering": "cs.SE",
    "Computer Science - Sound": "cs.SD",
    "Computer Science - Symbolic Computation": "cs.SC",
    "Computer Science - Systems and Control": "eess.SY",  # cs.SY, alias of eess.SY
    # Economics.
    "Economics - Econometrics": "econ.EM",
    "Economics - General Economics": "econ.GN",
    "Economics - Theoretical Economics": "econ.TH",
    # Electrical Engineering and Systems Science.
    "Electrical Engineering and Systems Science - Audio and Speech Processing": "eess.AS",
    "Electrical Engineering and Systems Science - Image and Video Processing": "eess.IV",
    "Electrical Engineering and Systems Science - Signal Processing": "eess.SP",
    "Electrical Engineering and Systems Science - Systems and Control": "eess.SY",
    # Mathematics.
    "Mathematics - Algebraic Geometry": "math.AG",
    "Mathematics - Algebraic Topology": "math.AT",
    "Mathematics - Analysis of PDEs": "math.AP",
    "Mathematics - Category Theory": "math.CT",
    "Mathematics - Classical Analysis and ODEs": "math.CA",
    "Mathematics - Combinatorics": "math.CO",
    "Mathematics - Commutative Algebra": "math.AC",
    "Mathematics - Complex Variables": "math.CV",
    "Mathematics - Differential Geometry": "math.DG",
    "Mathematics - Dynamical Systems": "math.DS",
    "Mathematics - Functional Analysis": "math.FA",
    "Mathematics - General Mathematics": "math.GM",
    "Mathematics - General Topology": "math.GN",
    "Mathematics - Geometric Topology": "math.GT",
    "Mathematics - Group Theory": "math.GR",
    "Mathematics - History and Overview": "math.HO",
    "Mathematics - Information Theory": "cs.IT",  # math.IT, alias of cs.IT
    "Mathematics - K-Theory and Homology": "math.KT",
    "Mathematics - Logic": "math.LO",
    "Mathematics - Mathematical Physics": "math-ph",  # math.MP, alias of math-ph
    "Mathematics - Metric Geometry": "math.MG",
    "Mathematics - Number Theory": "math.NT",
    "Mathematics - Numerical Analysis": "math.NA",
    "Mathematics - Operator Algebras": "math.OA",
    "Mathematics - Optimization and Control": "math.OC",
    "Mathematics - Probability": "math.PR",
    "Mathematics - Quantum Algebra": "math.QA",
    "Mathematics - Representation Theory": "math.RT",
    "Mathematics - Rings and Algebras": "math.RA",
    "Mathematics - Spectral Theory": "math.SP",
    "Mathematics - Statistics": "math.ST",  # older name of Statistics Theory
    "Mathematics - Statistics Theory": "math.ST",
    "Mathematics - Symplectic Geometry": "math.SG",
    # Nonlinear Sciences.
    "Nonlinear Sciences - Adaptation and Self-Organizing Systems": "nlin.AO",
    "Nonlinear Sciences - Cellular Automata and Lattice Gases": "nlin.CG",
    "Nonlinear Sciences - Chaotic Dynamics": "nlin.CD",
    "Nonlinear Sciences - Exactly Solvable and Integrable Systems": "nlin.SI",
    "Nonlinear Sciences - Pattern Formation and Solitons": "nlin.PS",
    # Physics.
    "Physics - Accelerator Physics": "physics.acc-ph",
    "Physics - Applied Physics": "physics.app-ph",
    "Physics - Atmospheric and Oceanic Physics": "physics.ao-ph",
    "Physics - Atomic Physics": "physics.atom-ph",
    "Physics - Atomic and Molecular Clusters": "physics.atm-clus",
    "Physics - Biological Physics": "physics.bio-ph",
    "Physics - Chemical Physics": "physics.chem-ph",
    "Physics - Classical Physics": "physics.class-ph",
    "Physics - Computational Physics": "physics.comp-ph",
    "Physics - Data Analysis, Statistics and Probability": "physics.data-an",
    "Physics - Fluid Dynamics": "physics.flu-dyn",
    "Physics - General Physics": "physics.gen-ph",
    "Physics - Geophysics": "physics.geo-ph",
    "Physics - History and Philosophy of Physics": "physics.hist-ph",
    "Physics - Instrumentation and Detectors": "physics.ins-det",
    "Physics - Medical Physics": "physics.med-ph",
    "Physics - Optics": "physics.optics",
    "Physics - Physics Education": "physics.ed-ph",
    "Physics - Physics and Society": "physics.soc-ph",
    "Physics - Plasma Physics": "physics.plasm-ph",
    "Physics - Popular Physics": "physics.pop-ph",
    "Physics - Space Physics": "physics.space-ph",
    # Quantitative Biology.
    "Quantitative Biology - Biomolecules": "q-bio.BM",
    "Quantitative Biology - Cell Behavior": "q-bio.CB",
    "Quantitative Biology - Genomics": "q-bio.GN",
    "Quantitative Biology - Molecular Networks": "q-bio.MN",
    "Quantitative Biology - Neurons and Cognition": "q-bio.NC",
    "Quantitative Biology - Other Quantitative Biology": "q-bio.OT",
    "Quantitative Biology - Populations and Evolution": "q-bio.PE",
    "Quantitative Biology - Quantitative Methods": "q-bio.QM",
    "Quantitative Biology - Subcellular Processes": "q-bio.SC",
    "Quantitative Biology - Tissues and Organs": "q-bio.TO",
    # Quantitative Finance.
    "Quantitative Finance - Computational Finance": "q-fin.CP",
    "Quantitative Finance - Economics": "econ.GN",  # q-fin.EC, alias of econ.GN
    "Quantitative Finance - General Finance": "q-fin.GN",
    "Quantitative Finance - Mathematical Finance": "q-fin.MF",
    "Quantitative Finance - Portfolio Management": "q-fin.PM",
    "Quantitative Finance - Pricing of Securities": "q-fin.PR",
    "Quantitative Finance - Risk Management": "q-fin.RM",
    "Quantitative Finance - Statistical Finance": "q-fin.ST",
    "Quantitative Finance - Trading and Market Microstructure": "q-fin.TR",
    # Statistics.
    "Statistics - Applications": "stat.AP",
    "Statistics - Computation": "stat.CO",
    "Statistics - Machine Learning": "stat.ML",
    "Statistics - Methodology": "stat.ME",
    "Statistics - Other Statistics": "stat.OT",
    "Statistics - Statistics Theory": "math.ST",  # stat.TH, alias of math.ST
}


def normalise_subject(subject: str) -> str:
    """Strip a subject and collapse the line breaks and runs of spaces inside it."""
    return " ".join(subject.split())


def category_for_subject(subject: str) -> str | None:
    """Return the category code a subject names, or None when it names none."""
    return SUBJECT_CATEGORIES.get(normalise_subject(subject))


def categories_from_subjects(subjects: Iterable[str]) -> list[str]:
    """Map subject names to category codes, in order, without repeats.

    Entries that are not subject names (MSC codes such as "57M25, 57M27",
    ACM classes such as "I.2.7", free text) are dropped.
    """
    codes = (category_for_subject(subject) for subject in subjects)
    return list(dict.fromkeys(code for code in codes if code is not None))
