"""(being written)"""

from __future__ import annotations

import time
from collections.abc import Callable

from node.config import Config
from node.federation.runtime import Federation
from node.services.city_broadcast import CityBroadcast
from node.services.reporting import Reporting
from node.storage.database import Database


class Initiatives:
    def __init__(
        self,
        db: Database,
        config: Config,
        broadcast: CityBroadcast,
        reporting: Reporting,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._broadcast = broadcast
        self._reporting = reporting
        self._federation = federation
        self._clock = clock
