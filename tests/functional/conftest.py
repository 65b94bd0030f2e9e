"""The `site` fixture: a live server over fixture papers, once per module and backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import backend_params, empty_database_url
from live_server import Site, fill, serving

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.web.app import create_app


@pytest.fixture(scope="module", params=backend_params())
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    db = Database.open(empty_database_url(request.param, tmp_path_factory.mktemp("site")))
    db.upgrade()
    fill(db)
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("data")), page_size=10)
    with serving(create_app(settings, db)) as base_url:
        yield Site(base_url, db)
    db.close()
